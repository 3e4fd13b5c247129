// A deterministic generator of realistic EventBridge events for the demo: EC2 state changes, S3
// object events, console sign-ins, chat messages, presence changes and orders. The same seed gives
// the same events in the same order (the browser test relies on it), on any engine.

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REGIONS = ["us-east-1", "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"];
const ACCOUNTS = ["123456789012", "123456789012", "210987654321", "555555555555"];
const EC2_STATES = ["pending", "running", "running", "stopping", "stopped", "shutting-down", "terminated"];
const BUCKETS = ["prod-uploads", "prod-logs", "staging-uploads", "media-thumbnails", "billing-exports"];
const KEY_DIRS = ["images/", "images/2026/", "logs/app/", "exports/", "tmp/", "docs/"];
const KEY_EXTS = [".png", ".jpg", ".json", ".csv", ".log.gz", ".pdf", ".PNG"];
const ROOMS = ["#general", "#random", "#incidents", "#deploys", "#design"];
const USERS = [
  { id: "u-1001", name: "Ada" },
  { id: "u-1002", name: "Grace" },
  { id: "u-1003", name: "Linus" },
  { id: "u-1004", name: "Margaret" },
  { id: "u-1005", name: "Ken" },
  { id: "u-1006", name: "Barbara" },
];
const WORDS = ["deploy", "done", "lgtm", "rollback", "urgent", "lunch?", "ship it", "p1", "coffee", "retro",
  "on call", "ERROR", "flaky", "merged", "ping", "thanks"];
const PRESENCE = ["online", "online", "away", "busy", "offline"];
const DEVICES = ["desktop", "mobile", "web", "tablet"];
const CURRENCIES = ["USD", "EUR", "GBP", "JPY"];
const TIERS = ["free", "pro", "pro", "enterprise"];
const COUNTRIES = ["US", "DE", "GB", "FR", "JP", "BR", "IN"];
const SKUS = ["SKU-BOOK-001", "SKU-MUG-007", "SKU-SHIRT-042", "SKU-STICKER-100", "SKU-LAPTOP-900"];
const IPS = ["10.0.3.17", "10.0.7.201", "192.168.1.20", "203.0.113.45", "198.51.100.7", "2001:db8::17"];

/**
 * `createGenerator(seed)` returns `next()`, which gives the next event as an object (an
 * EventBridge envelope: version, id, detail-type, source, account, time, region, resources, detail).
 */
export function createGenerator(seed, startTime = Date.UTC(2026, 0, 15, 9, 0, 0)) {
  const rand = mulberry32(seed);
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const hex = (n) => {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(rand() * 16)];
    return s;
  };
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(["8", "9", "a", "b"])}${hex(3)}-${hex(12)}`;
  let clock = startTime;

  const kinds = [
    [3, ec2StateChange],
    [3, s3Object],
    [1, consoleSignIn],
    [4, chatMessage],
    [2, presenceChanged],
    [2, orderPlaced],
  ];
  const totalWeight = kinds.reduce((sum, [w]) => sum + w, 0);

  function envelope(source, detailType, region, account, resources, detail) {
    return {
      version: "0",
      id: uuid(),
      "detail-type": detailType,
      source,
      account,
      time: new Date(clock).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region,
      resources,
      detail,
    };
  }

  function ec2StateChange() {
    const region = pick(REGIONS);
    const account = pick(ACCOUNTS);
    const instance = `i-0${hex(16)}`;
    return envelope("aws.ec2", "EC2 Instance State-change Notification", region, account,
      [`arn:aws:ec2:${region}:${account}:instance/${instance}`],
      { "instance-id": instance, state: pick(EC2_STATES) });
  }

  function s3Object() {
    const region = pick(REGIONS);
    const account = pick(ACCOUNTS);
    const created = rand() < 0.7;
    const bucket = pick(BUCKETS);
    const key = `${pick(KEY_DIRS)}${hex(6)}${pick(KEY_EXTS)}`;
    const detail = {
      version: "0",
      bucket: { name: bucket },
      object: { key, size: created ? int(0, 50_000_000) : undefined, etag: created ? hex(32) : undefined,
        sequencer: hex(18).toUpperCase() },
      "request-id": hex(16).toUpperCase(),
      requester: account,
      "source-ip-address": pick(IPS),
      reason: created ? pick(["PutObject", "PutObject", "CopyObject", "CompleteMultipartUpload"]) : "DeleteObject",
    };
    if (!created) detail["deletion-type"] = pick(["Permanently Deleted", "Delete Marker Created"]);
    return envelope("aws.s3", created ? "Object Created" : "Object Deleted", region, account,
      [`arn:aws:s3:::${bucket}`], detail);
  }

  function consoleSignIn() {
    const account = pick(ACCOUNTS);
    const user = pick(USERS);
    const success = rand() < 0.8;
    return envelope("aws.signin", "AWS Console Sign In via CloudTrail", "us-east-1", account, [], {
      eventVersion: "1.08",
      userIdentity: { type: pick(["IAMUser", "IAMUser", "Root", "AssumedRole"]),
        arn: `arn:aws:iam::${account}:user/${user.name.toLowerCase()}` },
      eventSource: "signin.amazonaws.com",
      eventName: "ConsoleLogin",
      sourceIPAddress: pick(IPS),
      responseElements: { ConsoleLogin: success ? "Success" : "Failure" },
      additionalEventData: { MFAUsed: pick(["Yes", "No"]), MobileVersion: "No" },
    });
  }

  function chatMessage() {
    const user = pick(USERS);
    const text = Array.from({ length: int(1, 5) }, () => pick(WORDS)).join(" ");
    const mentions = [];
    for (let i = int(0, 2); i > 0; i--) mentions.push(pick(USERS).name);
    const attachments = rand() < 0.25
      ? Array.from({ length: int(1, 2) }, () => ({ type: pick(["image/png", "application/pdf", "text/plain"]),
        size: int(100, 8_000_000) }))
      : [];
    return envelope("com.example.chat", "Message Posted", "eu-west-1", "555555555555", [], {
      room: pick(ROOMS),
      user: { id: user.id, name: user.name, bot: rand() < 0.1 },
      text,
      mentions,
      attachments,
      reactions: int(0, 12),
      thread: rand() < 0.3 ? { parent: `m-${hex(8)}`, depth: int(1, 4) } : null,
    });
  }

  function presenceChanged() {
    const user = pick(USERS);
    const devices = Array.from({ length: int(1, 3) }, () => ({ kind: pick(DEVICES),
      lastSeenSeconds: int(0, 3600) }));
    return envelope("com.example.presence", "Presence Changed", "eu-west-1", "555555555555", [], {
      user: user.id,
      name: user.name,
      status: pick(PRESENCE),
      previous: pick(PRESENCE),
      idleSeconds: int(0, 7200),
      devices,
    });
  }

  function orderPlaced() {
    const items = Array.from({ length: int(1, 4) }, () => ({ sku: pick(SKUS), qty: int(1, 5),
      price: Math.round(rand() * 20000) / 100 }));
    const total = Math.round(items.reduce((sum, it) => sum + it.qty * it.price, 0) * 100) / 100;
    return envelope("com.example.orders", "Order Placed", pick(REGIONS), "210987654321", [], {
      orderId: `ord-${hex(10)}`,
      total,
      currency: pick(CURRENCIES),
      items,
      customer: { tier: pick(TIERS), country: pick(COUNTRIES), firstOrder: rand() < 0.2 },
      coupon: rand() < 0.15 ? pick(["SPRING10", "WELCOME", "VIP-2026"]) : null,
    });
  }

  return function next() {
    clock += int(5, 900);
    let roll = rand() * totalWeight;
    for (const [weight, make] of kinds) {
      roll -= weight;
      if (roll < 0) return make();
    }
    return kinds[kinds.length - 1][1]();
  };
}

/** A short one-line summary of an event, for the stream. */
export function summarize(event) {
  const d = event.detail ?? {};
  switch (event.source) {
    case "aws.ec2":
      return `${d["instance-id"]} → ${d.state}`;
    case "aws.s3":
      return `s3://${d.bucket?.name}/${d.object?.key}${d.object?.size !== undefined ? ` (${formatBytes(d.object.size)})` : ""}`;
    case "aws.signin":
      return `${d.userIdentity?.arn?.split("/").pop()} from ${d.sourceIPAddress}: ${d.responseElements?.ConsoleLogin}, MFA ${d.additionalEventData?.MFAUsed}`;
    case "com.example.chat":
      return `${d.room} ${d.user?.name}: “${d.text}”${d.attachments?.length ? ` +${d.attachments.length} file(s)` : ""}`;
    case "com.example.presence":
      return `${d.name}: ${d.previous} → ${d.status} (${d.devices?.map((x) => x.kind).join(", ")})`;
    case "com.example.orders":
      return `${d.orderId} ${d.total} ${d.currency}, ${d.items?.length} item(s), ${d.customer?.tier} / ${d.customer?.country}`;
    default:
      return "";
  }
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
