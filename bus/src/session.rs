//! The protocol state of one connection: whether it said Hello, its rules, and what each
//! action does to them.

use crate::close::Close;
use crate::connection::Connection;
use crate::hub::Hub;
use crate::protocol::{self, Action, Read};

/// One connection's conversation.
pub struct Session<'a> {
    connection: &'a Connection,
    hub: &'a Hub,
    hello: bool,
    /// The connection's rules (name, pattern text), in the order they were first subscribed.
    rules: Vec<(String, String)>,
}

impl<'a> Session<'a> {
    pub fn new(connection: &'a Connection, hub: &'a Hub) -> Session<'a> {
        Session {
            connection,
            hub,
            hello: false,
            rules: Vec::new(),
        }
    }

    pub fn said_hello(&self) -> bool {
        self.hello
    }

    /// The names of the connection's rules.
    pub fn rule_names(&self) -> Vec<String> {
        self.rules.iter().map(|(name, _)| name.clone()).collect()
    }

    /// Answers one text frame.
    pub async fn on_text(&mut self, text: &str) {
        match protocol::read(text) {
            Read::Action { request_id, action } => {
                let reply = match self.act(action).await {
                    Ok(()) => protocol::ack_ok(&request_id),
                    Err(message) => protocol::ack_error(&request_id, &message),
                };
                self.reply(reply);
            }
            Read::Invalid {
                request_id: Some(request_id),
                message,
            } => self.reply(protocol::ack_error(&request_id, &message)),
            Read::Invalid {
                request_id: None, ..
            } => {
                self.connection.outbox.close(Close::NO_REQUEST_ID);
            }
        }
    }

    /// Answers one binary frame: not part of the protocol.
    pub fn on_binary(&mut self, bytes: &[u8]) {
        let request_id = std::str::from_utf8(bytes)
            .ok()
            .and_then(protocol::scan_request_id);
        match request_id {
            Some(request_id) => self.reply(protocol::ack_error(
                &request_id,
                "Binary frames are not supported: send actions as JSON text frames",
            )),
            None => {
                self.connection.outbox.close(Close::BINARY);
            }
        }
    }

    async fn act(&mut self, action: Action) -> Result<(), String> {
        if !self.hello && action != Action::Hello {
            return Err("Hello must be the first action on a connection".to_owned());
        }
        let config = &self.hub.config;
        match action {
            Action::Hello => self.hello = true,
            Action::Subscribe { rule, pattern } => {
                if pattern.len() > config.max_pattern_bytes {
                    return Err(format!(
                        "Pattern is {} bytes; at most {} are allowed",
                        pattern.len(),
                        config.max_pattern_bytes
                    ));
                }
                let known = self.rules.iter().position(|(name, _)| *name == rule);
                if known.is_none() && self.rules.len() >= config.max_rules {
                    return Err(format!(
                        "Connection already has {} rules, the most allowed; unsubscribe one first",
                        config.max_rules
                    ));
                }
                let parsed = evmatch::Pattern::parse(&pattern)
                    .map_err(|error| format!("Event pattern is not valid. Reason: {error}"))?;
                self.hub.subscribe(self.connection, &rule, &parsed);
                match known {
                    Some(at) => self.rules[at].1 = pattern,
                    None => self.rules.push((rule, pattern)),
                }
            }
            Action::Unsubscribe { rule } => {
                let Some(at) = self.rules.iter().position(|(name, _)| *name == rule) else {
                    return Err(format!("No subscription named {rule:?} on this connection"));
                };
                self.rules.remove(at);
                self.hub.unsubscribe(self.connection, &rule);
            }
            Action::Resume { last_sequence } => {
                // Boxed: the replay's future is large, and inline it would be part of every
                // connection's task whether or not it ever resumes.
                let resume =
                    crate::resume::resume(self.hub, self.connection, &self.rules, last_sequence);
                Box::pin(resume).await?;
            }
        }
        Ok(())
    }

    fn reply(&self, text: String) {
        // A refusal means the connection is already closing, for a reason that is recorded.
        let _ = self.connection.outbox.push_text(text);
    }
}
