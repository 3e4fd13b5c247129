//! Why a connection is closed: the close code and reason the client receives, and whether the
//! messages already queued for it are sent first.

/// A close request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Close {
    /// The WebSocket close code.
    pub code: u16,
    /// The reason text in the close frame (at most 123 bytes, as the frame allows).
    pub reason: &'static str,
    /// Whether queued messages are written before the close frame.
    pub flush: bool,
    /// The label of the `connections_closed_total` metric.
    pub label: &'static str,
}

impl Close {
    /// `DELETE /@connections/{id}`.
    pub const DELETED: Close = Close {
        code: 1000,
        reason: "closed by the backend (DELETE @connections)",
        flush: true,
        label: "deleted",
    };
    /// The server is shutting down.
    pub const SHUTDOWN: Close = Close {
        code: 1001,
        reason: "server shutting down",
        flush: true,
        label: "shutdown",
    };
    /// A binary frame with no readable `RequestId`.
    pub const BINARY: Close = Close {
        code: 1003,
        reason: "binary frames are not part of the protocol and this one has no RequestId",
        flush: true,
        label: "binary_frame",
    };
    /// A text frame that is not UTF-8.
    pub const NOT_UTF8: Close = Close {
        code: 1007,
        reason: "text frame is not valid UTF-8",
        flush: true,
        label: "invalid_utf8",
    };
    /// A message with no readable `RequestId`.
    pub const NO_REQUEST_ID: Close = Close {
        code: 1008,
        reason: "message has no readable RequestId, so it cannot be acknowledged",
        flush: true,
        label: "no_request_id",
    };
    /// A frame over `--max-message-bytes`.
    pub const TOO_BIG: Close = Close {
        code: 1009,
        reason: "message is larger than the limit (--max-message-bytes)",
        flush: true,
        label: "message_too_big",
    };
    /// No Hello within `--hello-timeout`.
    pub const HELLO_TIMEOUT: Close = Close {
        code: 4000,
        reason: "no Hello action within the hello timeout",
        flush: true,
        label: "hello_timeout",
    };
    /// The outbound queue passed `--max-queue-bytes`.
    pub const SLOW_CONSUMER: Close = Close {
        code: 4001,
        reason: "slow consumer: outbound queue limit reached",
        flush: false,
        label: "slow_consumer",
    };
    /// Nothing from the client for `--idle-timeout`.
    pub const IDLE: Close = Close {
        code: 4002,
        reason: "idle timeout",
        flush: true,
        label: "idle_timeout",
    };
    /// Open for `--max-lifetime`.
    pub const LIFETIME: Close = Close {
        code: 4003,
        reason: "maximum connection lifetime reached",
        flush: true,
        label: "lifetime",
    };
    /// The client closed, or its socket failed: no close frame of ours is needed.
    pub const CLIENT_GONE: Close = Close {
        code: 1000,
        reason: "",
        flush: false,
        label: "client",
    };

    /// Every close, for tests.
    #[cfg(test)]
    pub const ALL: [Close; 11] = [
        Close::DELETED,
        Close::SHUTDOWN,
        Close::BINARY,
        Close::NOT_UTF8,
        Close::NO_REQUEST_ID,
        Close::TOO_BIG,
        Close::HELLO_TIMEOUT,
        Close::SLOW_CONSUMER,
        Close::IDLE,
        Close::LIFETIME,
        Close::CLIENT_GONE,
    ];
}

#[cfg(test)]
mod tests {
    use super::Close;

    #[test]
    fn reasons_fit_a_close_frame() {
        for close in Close::ALL {
            assert!(close.reason.len() <= 123, "{}", close.label);
        }
    }
}
