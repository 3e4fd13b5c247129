// evmatch-bus-client: the JavaScript/TypeScript client of evmatch-bus.
export {
  EventBusClient,
  apiKeyFor,
  connectionUrl,
  encodeHeader,
  type ConnectionUrlOptions,
  type HeaderDocument,
} from "./client.js";
export { AckError, ClosedError, PatternError, TimeoutError } from "./errors.js";
export type { View } from "./view.js";
export {
  ClientCloseCode,
  type BusEvent,
  type CloseInfo,
  type ConnectionState,
  type Engine,
  type EventBridgeEvent,
  type EventBusClientEventMap,
  type EventBusClientOptions,
  type MatcherClass,
  type MatcherInstance,
  type OpenInfo,
  type Pattern,
  type ReconnectInfo,
  type ResumeFailedInfo,
  type ViewOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./types.js";
