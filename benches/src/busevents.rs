//! EventBridge-shaped events and subscriber rules of an event bus's two commonest fan-outs.
//!
//! - **per-user**: an application publishes events about its users (`detail.userId`), and every
//!   subscriber wants its own user's events:
//!   `{"source":["com.example.app"],"detail":{"userId":["u-<n>"]}}`; one subscriber in ten also
//!   filters on `detail-type` with a prefix (`Order`, `Payment` or `Session`). Events come from
//!   three sources (the app 85%, billing 10%, audit 5%) about users drawn uniformly from a
//!   population of 100,000, so at 100,000 subscribers about one rule matches an event.
//! - **per-channel**: realtime-channel envelopes (`source` `channel.message` or
//!   `channel.presence`; `detail.channel` such as `org12:t3:general`; `detail.messages`, an array
//!   of messages with a `name` and `data`). Channels are `org<o>:t<t>:<room>`: 200 organisations
//!   (Zipf-like), 10 teams each, 50 rooms (Zipf-like, named rooms first). Subscribers pick a
//!   channel from the same distribution as the traffic, by exact name (70%), team prefix
//!   `org<o>:t<t>:` (15%), organisation prefix `org<o>:` (5%) or wildcard `org<o>:*:<room>` (10%);
//!   15% watch presence instead of messages, and 30% of message subscribers also filter message
//!   names (3% message data).
//!
//! Like the citylots2 generator, output is a pure function of the seed (integer arithmetic and
//! [`Rng`] only), so exported files are byte-identical across runs and machines.

use crate::gen::{Rng, Weighted};

/// Users events are about (subscriber `n` wants user `u-<n>`).
pub const USERS: u64 = 100_000;

const ORGS: usize = 200;
const TEAMS: u64 = 10;
/// Rooms of every team, commonest first.
const NAMED_ROOMS: [&str; 10] = [
    "general", "random", "alerts", "deploys", "support", "sales", "design", "ops", "standup",
    "lunch",
];
const ROOMS: usize = 50;

/// `detail-type`s of the per-user stream with their source: (type, source index, weight).
const USER_TYPES: [(&str, usize, u64); 9] = [
    ("OrderPlaced", 0, 18),
    ("OrderShipped", 0, 12),
    ("OrderCancelled", 0, 3),
    ("SessionStarted", 0, 20),
    ("SessionEnded", 0, 17),
    ("ProfileUpdated", 0, 15),
    ("PaymentReceived", 1, 8),
    ("PaymentFailed", 1, 2),
    ("AuditRecord", 2, 5),
];
const USER_SOURCES: [&str; 3] = [
    "com.example.app",
    "com.example.billing",
    "com.example.audit",
];
/// Prefixes the filtering tenth of per-user subscribers choose from.
const TYPE_PREFIXES: [&str; 3] = ["Order", "Payment", "Session"];

const MESSAGE_NAMES: [(&str, u64); 5] = [
    ("chat.message", 60),
    ("chat.typing", 20),
    ("chat.reaction", 10),
    ("chat.edit", 5),
    ("system.notice", 5),
];
const PRESENCE_NAMES: [(&str, u64); 3] = [
    ("presence.enter", 45),
    ("presence.leave", 45),
    ("presence.update", 10),
];
const WORDS: [&str; 16] = [
    "hello", "deploy", "done", "lunch", "review", "please", "thanks", "ship", "it", "broken",
    "fixed", "meeting", "now", "later", "today", "ok",
];

/// Pick from `(item, weight)` pairs.
fn weighted<'a>(rng: &mut Rng, items: &[(&'a str, u64)]) -> &'a str {
    let total: u64 = items.iter().map(|&(_, w)| w).sum();
    let mut x = rng.below(total);
    for &(item, w) in items {
        if x < w {
            return item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

fn room_name(room: usize) -> String {
    match NAMED_ROOMS.get(room) {
        Some(name) => (*name).to_owned(),
        None => format!("room-{room}"),
    }
}

/// The channel distribution the traffic and the subscribers share.
#[derive(Debug, Clone)]
struct Channels {
    orgs: Weighted,
    rooms: Weighted,
}

/// A channel: organisation, team, room.
#[derive(Debug, Clone, Copy)]
struct Channel {
    org: usize,
    team: u64,
    room: usize,
}

impl Channels {
    fn new() -> Channels {
        Channels {
            orgs: Weighted::zipf(ORGS, 2),
            rooms: Weighted::zipf(ROOMS, 1),
        }
    }

    fn pick(&self, rng: &mut Rng) -> Channel {
        Channel {
            org: self.orgs.sample(rng),
            team: rng.below(TEAMS),
            room: self.rooms.sample(rng),
        }
    }
}

impl Channel {
    fn name(self) -> String {
        format!("org{}:t{}:{}", self.org, self.team, room_name(self.room))
    }
}

/// The EventBridge envelope up to `"detail":` (the detail object follows).
fn envelope(rng: &mut Rng, seq: u64, detail_type: &str, source: &str, out: &mut Vec<u8>) {
    let id = rng.next_u64();
    let more = rng.next_u64();
    let seconds = seq % 86_400;
    out.extend_from_slice(
        format!(
            r#"{{"version":"0","id":"{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}","detail-type":"{detail_type}","source":"{source}","account":"123456789012","time":"2024-05-01T{:02}:{:02}:{:02}Z","region":"us-east-1","resources":[],"detail":"#,
            id >> 32,
            (id >> 16) & 0xffff,
            id & 0xfff,
            more >> 52,
            more & 0xffff_ffff_ffff,
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60,
        )
        .as_bytes(),
    );
}

/// Streams per-user events.
#[derive(Debug, Clone)]
pub struct UserEvents {
    rng: Rng,
    seq: u64,
}

impl UserEvents {
    /// A stream for `seed`.
    pub fn new(seed: u64) -> UserEvents {
        UserEvents {
            rng: Rng::new(seed ^ 0x05E5_0000_0000_0001),
            seq: 0,
        }
    }

    /// Append the next event (without a newline) to `out`.
    pub fn next_event(&mut self, out: &mut Vec<u8>) {
        let rng = &mut self.rng;
        let weights: Vec<(&str, u64)> = USER_TYPES.iter().map(|&(t, _, w)| (t, w)).collect();
        let detail_type = weighted(rng, &weights);
        let source = USER_SOURCES[USER_TYPES
            .iter()
            .find(|t| t.0 == detail_type)
            .map_or(0, |t| t.1)];
        envelope(rng, self.seq, detail_type, source, out);
        self.seq += 1;
        let user = rng.below(USERS);
        let detail = match detail_type {
            "OrderPlaced" | "OrderShipped" | "OrderCancelled" => {
                let items = rng.range(1, 4);
                let lines: Vec<String> = (0..items)
                    .map(|_| {
                        format!(
                            r#"{{"sku":"SKU-{:05}","qty":{},"price":{}.{:02}}}"#,
                            rng.below(50_000),
                            rng.range(1, 5),
                            rng.range(1, 300),
                            rng.below(100)
                        )
                    })
                    .collect();
                format!(
                    r#"{{"userId":"u-{user}","orderId":"o-{:010}","status":"{}","currency":"USD","total":{}.{:02},"items":[{}]}}"#,
                    rng.below(10_000_000_000),
                    &detail_type[5..].to_lowercase(),
                    rng.range(5, 900),
                    rng.below(100),
                    lines.join(",")
                )
            }
            "SessionStarted" | "SessionEnded" => format!(
                r#"{{"userId":"u-{user}","sessionId":"s-{:016x}","device":"{}","appVersion":"4.{}.{}"}}"#,
                rng.next_u64(),
                ["ios", "android", "web", "desktop"][rng.below(4) as usize],
                rng.below(12),
                rng.below(30)
            ),
            "ProfileUpdated" => format!(
                r#"{{"userId":"u-{user}","fields":["{}"],"locale":"{}"}}"#,
                ["email", "name", "avatar", "phone", "address"][rng.below(5) as usize],
                ["en-US", "de-DE", "fr-FR", "ja-JP", "pt-BR"][rng.below(5) as usize]
            ),
            "PaymentReceived" | "PaymentFailed" => format!(
                r#"{{"userId":"u-{user}","paymentId":"p-{:012x}","amount":{}.{:02},"method":"{}"}}"#,
                rng.next_u64() >> 16,
                rng.range(1, 2000),
                rng.below(100),
                ["card", "paypal", "bank"][rng.below(3) as usize]
            ),
            _ => format!(
                r#"{{"userId":"u-{user}","action":"{}","ip":"10.{}.{}.{}"}}"#,
                ["login", "logout", "export", "delete"][rng.below(4) as usize],
                rng.below(256),
                rng.below(256),
                rng.below(256)
            ),
        };
        out.extend_from_slice(detail.as_bytes());
        out.push(b'}');
    }
}

/// One rule per subscriber: subscriber `n` (`user-<n>`) wants user `u-<n>`'s app events, one in
/// ten only those whose `detail-type` starts with a given prefix.
pub fn per_user_rules(subscribers: usize) -> Vec<(String, String)> {
    (0..subscribers)
        .map(|n| {
            let mut rng = Rng::new(0x05E5_0000 + n as u64);
            let pattern = if rng.chance(1, 10) {
                let prefix = TYPE_PREFIXES[rng.below(3) as usize];
                format!(
                    r#"{{"source":["com.example.app"],"detail-type":[{{"prefix":"{prefix}"}}],"detail":{{"userId":["u-{n}"]}}}}"#
                )
            } else {
                format!(r#"{{"source":["com.example.app"],"detail":{{"userId":["u-{n}"]}}}}"#)
            };
            (format!("user-{n}"), pattern)
        })
        .collect()
}

/// Streams realtime-channel envelopes.
#[derive(Debug, Clone)]
pub struct ChannelEvents {
    rng: Rng,
    seq: u64,
    channels: Channels,
}

impl ChannelEvents {
    /// A stream for `seed`.
    pub fn new(seed: u64) -> ChannelEvents {
        ChannelEvents {
            rng: Rng::new(seed ^ 0x0C4A_0000_0000_0002),
            seq: 0,
            channels: Channels::new(),
        }
    }

    /// Append the next event (without a newline) to `out`.
    pub fn next_event(&mut self, out: &mut Vec<u8>) {
        let rng = &mut self.rng;
        let presence = rng.chance(15, 100);
        let (detail_type, source) = if presence {
            ("Channel Presence", "channel.presence")
        } else {
            ("Channel Message", "channel.message")
        };
        envelope(rng, self.seq, detail_type, source, out);
        let seq = self.seq;
        self.seq += 1;
        let channel = self.channels.pick(rng).name();
        let count = if presence || rng.chance(7, 10) {
            1
        } else {
            rng.range(2, 4)
        };
        let messages: Vec<String> = (0..count)
            .map(|i| {
                let name = if presence {
                    weighted(rng, &PRESENCE_NAMES)
                } else {
                    weighted(rng, &MESSAGE_NAMES)
                };
                let client = rng.below(50_000);
                let data = if presence {
                    format!(r#"{{\"status\":\"{}\"}}"#, ["online", "away", "busy"][rng.below(3) as usize])
                } else if rng.chance(1, 20) {
                    format!("urgent: {} {}", WORDS[rng.below(16) as usize], WORDS[rng.below(16) as usize])
                } else {
                    let words: Vec<&str> = (0..rng.range(1, 8)).map(|_| WORDS[rng.below(16) as usize]).collect();
                    format!(r#"{{\"text\":\"{}\"}}"#, words.join(" "))
                };
                format!(
                    r#"{{"id":"m-{seq}:{i}","name":"{name}","clientId":"c-{client}","timestamp":{},"data":"{data}"}}"#,
                    1_714_521_600_000 + seq * 250 + i
                )
            })
            .collect();
        out.extend_from_slice(
            format!(
                r#"{{"appId":"app-{}","channel":"{channel}","messages":[{}]}}}}"#,
                rng.below(3),
                messages.join(",")
            )
            .as_bytes(),
        );
    }
}

/// One rule per subscriber (`chan-<n>`), on a channel drawn like the traffic's.
pub fn per_channel_rules(subscribers: usize) -> Vec<(String, String)> {
    let channels = Channels::new();
    (0..subscribers)
        .map(|n| {
            let mut rng = Rng::new(0x0C4A_0000 + n as u64);
            let c = channels.pick(&mut rng);
            let presence = rng.chance(15, 100);
            let source = if presence {
                "channel.presence"
            } else {
                "channel.message"
            };
            let channel = match rng.below(100) {
                0..=69 => format!(r#"["{}"]"#, c.name()),
                70..=84 => format!(r#"[{{"prefix":"org{}:t{}:"}}]"#, c.org, c.team),
                85..=89 => format!(r#"[{{"prefix":"org{}:"}}]"#, c.org),
                _ => format!(r#"[{{"wildcard":"org{}:*:{}"}}]"#, c.org, room_name(c.room)),
            };
            let messages = if presence {
                String::new()
            } else {
                match rng.below(100) {
                    0..=14 => r#","messages":{"name":["chat.message"]}"#.to_owned(),
                    15..=23 => r#","messages":{"name":[{"prefix":"chat."}]}"#.to_owned(),
                    24..=29 => {
                        r#","messages":{"name":["chat.message","chat.reaction"]}"#.to_owned()
                    }
                    30..=32 => r#","messages":{"data":[{"prefix":"urgent:"}]}"#.to_owned(),
                    _ => String::new(),
                }
            };
            let pattern =
                format!(r#"{{"source":["{source}"],"detail":{{"channel":{channel}{messages}}}}}"#);
            (format!("chan-{n}"), pattern)
        })
        .collect()
}
