// Views: client-side filters over the events a connection receives, matched by the evmatch engine.

import { PatternError } from "./errors.js";
import type { BusEvent, Engine, MatcherInstance, Pattern } from "./types.js";

/**
 * A live, local filter over the events the client receives: made by `client.view(pattern)`.
 * Matching happens in this process, with the evmatch engine: nothing is sent to the server.
 */
export interface View {
  /** The pattern, as JSON text. */
  readonly pattern: string;
  /**
   * The matching events among those the client has kept (its `history`), oldest first, newest
   * last, at most `limit` of them. A new array on every read.
   */
  readonly events: BusEvent[];
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /** Calls `listener` with every new matching event; returns a function that removes it. */
  onEvent(listener: (event: BusEvent) => void): () => void;
  /**
   * Replaces the pattern and re-filters the kept events at once. Throws a {@link PatternError}
   * (AWS's reason) for a pattern EventBridge refuses, and then keeps the previous pattern.
   */
  setPattern(pattern: Pattern): void;
  /** Stops the view: no more events, its listeners are dropped, `events` is emptied. */
  close(): void;
}

/** Converts a pattern to the JSON text that is sent or matched. */
export function patternText(pattern: Pattern): string {
  if (typeof pattern === "string") return pattern;
  const text: unknown = JSON.stringify(pattern);
  if (typeof text !== "string") throw new TypeError("the pattern cannot be serialised as JSON");
  return text;
}

/**
 * Every view of one client shares one matcher, each view being one rule of it: an event is
 * matched once, whatever the number of views.
 */
export class ViewSet {
  readonly #engine: Engine;
  readonly #history: () => readonly BusEvent[];
  readonly #onError: (error: Error) => void;
  readonly #reportListenerError: (error: unknown) => void;
  #matcher: MatcherInstance | null = null;
  readonly #views = new Map<string, ClientView>();
  #next = 0;

  constructor(
    engine: Engine,
    history: () => readonly BusEvent[],
    onError: (error: Error) => void,
    reportListenerError: (error: unknown) => void,
  ) {
    this.#engine = engine;
    this.#history = history;
    this.#onError = onError;
    this.#reportListenerError = reportListenerError;
  }

  create(pattern: Pattern, limit: number): View {
    const text = patternText(pattern);
    const name = `view-${++this.#next}`;
    this.#matcher ??= new this.#engine.Matcher();
    this.#install(name, text, undefined);
    const view = new ClientView(this, name, text, limit, this.#reportListenerError);
    this.#views.set(name, view);
    view.reset(this.#filter(name, limit));
    return view;
  }

  /** An event was received (and kept, if `kept`). */
  add(event: BusEvent, kept: boolean): void {
    if (this.#views.size === 0) return;
    for (const name of this.#matches(event)) this.#views.get(name)?.add(event, kept);
  }

  /** The client's history dropped its oldest event. */
  evict(event: BusEvent): void {
    for (const view of this.#views.values()) view.evict(event);
  }

  setPattern(view: ClientView, text: string): void {
    this.#install(view.name, text, view.pattern);
    view.reset(this.#filter(view.name, view.limit));
  }

  release(view: ClientView): void {
    if (!this.#views.delete(view.name)) return;
    this.#matcher?.deleteRule(view.name);
    if (this.#views.size === 0) {
      this.#matcher?.free?.();
      this.#matcher = null;
    }
  }

  /** Puts `text` under `name` (replacing `previous`), or throws a PatternError and changes nothing. */
  #install(name: string, text: string, previous: string | undefined): void {
    const reason = this.#engine.Matcher.validate(text);
    if (typeof reason === "string") {
      if (previous === undefined) this.#releaseIfUnused();
      throw new PatternError(reason);
    }
    const matcher = this.#matcher!;
    matcher.deleteRule(name);
    try {
      matcher.addRule(name, text);
    } catch (error) {
      if (previous !== undefined) matcher.addRule(name, previous);
      else this.#releaseIfUnused();
      throw error instanceof Error && /Pattern/.test(error.name) ? new PatternError(error.message) : error;
    }
  }

  #releaseIfUnused(): void {
    if (this.#views.size === 0) {
      this.#matcher?.free?.();
      this.#matcher = null;
    }
  }

  #matches(event: BusEvent): string[] {
    try {
      return this.#matcher?.matches(event.raw) ?? [];
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#onError(new Error(`views: the engine could not read event ${event.requestId}: ${message}`));
      return [];
    }
  }

  #filter(name: string, limit: number): BusEvent[] {
    const kept = this.#history().filter((event) => this.#matches(event).includes(name));
    return limit > 0 && kept.length > limit ? kept.slice(kept.length - limit) : kept;
  }
}

class ClientView implements View {
  readonly name: string;
  readonly limit: number;
  readonly #set: ViewSet;
  readonly #reportListenerError: (error: unknown) => void;
  #pattern: string;
  #events: BusEvent[] = [];
  #listeners = new Set<(event: BusEvent) => void>();
  #closed = false;

  constructor(set: ViewSet, name: string, pattern: string, limit: number, reportListenerError: (error: unknown) => void) {
    this.#set = set;
    this.name = name;
    this.#pattern = pattern;
    this.limit = limit;
    this.#reportListenerError = reportListenerError;
  }

  get pattern(): string {
    return this.#pattern;
  }

  get events(): BusEvent[] {
    return this.#events.slice();
  }

  get closed(): boolean {
    return this.#closed;
  }

  onEvent(listener: (event: BusEvent) => void): () => void {
    if (!this.#closed) this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  setPattern(pattern: Pattern): void {
    if (this.#closed) throw new Error("setPattern: the view is closed");
    const text = patternText(pattern);
    this.#set.setPattern(this, text);
    this.#pattern = text;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#set.release(this);
    this.#listeners.clear();
    this.#events = [];
  }

  reset(events: BusEvent[]): void {
    this.#events = events;
  }

  add(event: BusEvent, kept: boolean): void {
    if (kept) {
      this.#events.push(event);
      if (this.limit > 0 && this.#events.length > this.limit) this.#events.shift();
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#reportListenerError(error);
      }
    }
  }

  evict(event: BusEvent): void {
    if (this.#events[0] === event) this.#events.shift();
  }
}
