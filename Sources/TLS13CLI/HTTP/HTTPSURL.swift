/// An `https://` URL split into what an HTTP/1.1 GET needs.
///
/// `https://host[:port][/path][?query][#fragment]`, where host is a DNS name, an IPv4 address or a bracketed
/// IPv6 address (`https://[::1]:4433/`). The fragment is dropped (it is never sent); user information
/// (`user@host`) is refused.
struct HTTPSURL: Equatable {
    /// The host without brackets, as `TLSConnection.connect(host:port:)` takes it.
    var host: String
    /// The TCP port (443 unless the URL names one).
    var port: UInt16
    /// The request target: path and query, at least `/`.
    var target: String

    /// `host:port` (`[v6]:port`) for `TLSConnection.connect(to:)`, which also validates the host name.
    var address: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The `Host` header value: the host (bracketed if IPv6) and the port when it is not 443.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 443 ? name : "\(name):\(port)"
    }

    /// Why a URL was refused.
    struct Invalid: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    init(_ text: String) throws(Invalid) {
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw Invalid(description: "'\(text)' is not a URL (expected https://host[:port]/path)")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" else {
            if scheme == "http" {
                throw Invalid(description: "'\(text)': only https:// URLs are supported (tls13 speaks TLS only)")
            }
            throw Invalid(description: "'\(text)': unsupported scheme '\(scheme)' (only https:// is supported)")
        }
        var rest = text[schemeEnd.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        guard !target.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw Invalid(description: "'\(text)': the path contains spaces or control characters (percent-encode them)")
        }
        guard !authority.contains("@") else {
            throw Invalid(description: "'\(text)': user names and passwords in URLs are not supported")
        }
        guard !authority.isEmpty else { throw Invalid(description: "'\(text)': no host") }

        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw Invalid(description: "'\(text)': missing ']' after the IPv6 address")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Invalid(description: "'\(text)': expected ':port' after ']'") }
                portPart = after.dropFirst()
            }
            guard hostPart.contains(":") else {
                throw Invalid(description: "'\(text)': '[\(hostPart)]' is not an IPv6 address")
            }
        } else {
            let pieces = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else {
                throw Invalid(description: "'\(text)': write an IPv6 address in brackets, e.g. https://[::1]:4433/")
            }
            hostPart = pieces[0]
            portPart = pieces.count == 2 ? pieces[1] : nil
        }
        guard !hostPart.isEmpty else { throw Invalid(description: "'\(text)': no host") }
        var port: UInt16 = 443
        if let portPart, !portPart.isEmpty {  // "https://host:/" means the default port (RFC 3986 §3.2.3)
            guard portPart.utf8.count <= 5, portPart.allSatisfy(\.isASCIIDigit), let value = Int(portPart),
                  (1...65535).contains(value)
            else { throw Invalid(description: "'\(text)': port '\(portPart)' is not a number in 1...65535") }
            port = UInt16(value)
        }
        self.host = String(hostPart)
        self.port = port
        self.target = target
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
