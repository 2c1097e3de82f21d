#if canImport(Logging)
import Logging
#endif

/// Stamps events with the time since the connection started and hands them to the configuration's event handler
/// and logger. Exists only when one of them is set.
///
/// (swift-log is optional so the library still compiles on its own with `swiftc`, as the fuzz build and
/// `Scripts/check-openssl-no-deprecated.sh` do: there, only the event handler exists.)
final class EventRelay: Sendable {
    let start = Deadline.now
    private let handler: (@Sendable (TLSTraceEvent) -> Void)?
    #if canImport(Logging)
    private let logger: Logger?
    #endif
    /// `host:port` (`[v6]:port`), the logger's `tls.peer` metadata.
    private let peer: String

    init?(configuration: TLSClientConfiguration, peer: String) {
        #if canImport(Logging)
        guard configuration.eventHandler != nil || configuration.logger != nil else { return nil }
        logger = configuration.logger
        #else
        guard configuration.eventHandler != nil else { return nil }
        #endif
        handler = configuration.eventHandler
        self.peer = peer
    }

    func emit(_ event: TLSEvent) {
        handler?(TLSTraceEvent(time: Deadline.now.duration(since: start), event: event))
        #if canImport(Logging)
        logger?.debug("\(event.summary)", metadata: ["tls.peer": "\(peer)"])
        #endif
    }
}
