#if canImport(Glibc)
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#elseif canImport(Darwin)
import Darwin
#endif

/// IP addresses written as text, read the way lenient software reads them — for spotting a subject CN that
/// spells one of the certificate's addresses in a non-canonical form (``WebPKIProfile``).
enum IPAddressText {
    /// The address `text` denotes, as 4 or 16 octets: IPv6 text (`inet_pton`), or IPv4 in any notation
    /// `inet_aton` accepts (`192.168.001.001`, `0xC0A80101`, `3232235777`); nil for anything else.
    static func parse(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, !text.utf8.contains(0) else { return nil }
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            return withUnsafeBytes(of: &address) { Array($0) }
        }
        var address = in_addr()
        guard inet_aton(text, &address) != 0 else { return nil }
        return withUnsafeBytes(of: &address.s_addr) { Array($0) }  // network byte order
    }
}
