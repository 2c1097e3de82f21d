import Foundation

/// A connected TCP socket to an IPv4 literal, for the examples that move bytes themselves (enough here: the servers
/// are local). Exits the program when the connection cannot be made.
public func connectSocket(_ address: String, _ port: UInt16) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = port.bigEndian
    inet_pton(AF_INET, address, &sin.sin_addr)
    let rc = withUnsafePointer(to: &sin) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard fd >= 0, rc == 0 else {
        print("cannot connect to \(address):\(port)")
        exit(1)
    }
    return fd
}

/// Writes all of `bytes` to `fd`; `false` when the connection failed.
@discardableResult
public func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { return false }
        offset += n
    }
    return true
}

/// What `fd` has to read (up to 64 KiB, waiting for at least one byte); empty at the end of the stream.
public func receiveSome(_ fd: Int32) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    return n > 0 ? Array(buffer[0..<n]) : []
}
