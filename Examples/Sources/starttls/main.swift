// starttls HOST PORT CA_FILE: SMTP with STARTTLS (RFC 3207). The program connects the socket itself, reads the
// greeting, says EHLO and STARTTLS in plaintext, then runs TLS 1.3 over the same socket and says EHLO and QUIT
// inside it.
import ExampleSupport
import Foundation
import TLS13

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = UInt16(arguments[2]) else {
    print("usage: starttls HOST PORT CA_FILE")
    exit(2)
}
let host = arguments[1]

/// Reads one reply (its last line starts `NNN `), one byte at a time: nothing of what follows may be consumed,
/// since after `220 Ready to start TLS` the next bytes are the server's TLS.
func readReply(_ fd: Int32) -> String {
    var text: [UInt8] = []
    var byte: UInt8 = 0
    while read(fd, &byte, 1) == 1 {
        text.append(byte)
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        if byte == UInt8(ascii: "\n"), let last = lines.dropLast().last, last.count >= 4, Array(last)[3] == " " { break }
    }
    return String(decoding: text, as: UTF8.self)
}

func send(_ fd: Int32, _ line: String) { sendAll(fd, Array(line.utf8)) }

let fd = connectSocket(host, port)
print("S: " + readReply(fd), terminator: "")
send(fd, "EHLO client.example\r\n")
print("S: " + readReply(fd), terminator: "")
send(fd, "STARTTLS\r\n")
let ready = readReply(fd)
print("S: " + ready, terminator: "")
guard ready.hasPrefix("220") else { exit(1) }

var config = TLSClientConfiguration()
config.trustRoots = .pemFile(arguments[3])
do {
    // TLS over the socket this program owns: `.borrow` leaves closing it to us.
    let tls = try TLSConnection.connect(fileDescriptor: fd, ownership: .borrow, serverName: "localhost", configuration: config)
    print("-- TLS: \(tls.sessionInfo.cipherSuite), certificate verified: \(tls.sessionInfo.certificateVerified)")
    for command in ["EHLO client.example\r\n", "QUIT\r\n"] {
        try tls.write(Array(command.utf8))
        var reply: [UInt8] = []
        while reply.last != UInt8(ascii: "\n") {
            let chunk = try tls.read()
            if chunk.isEmpty { break }
            reply += chunk
        }
        print("S (TLS): " + String(decoding: reply, as: UTF8.self), terminator: "")
    }
    tls.close()
} catch {
    print("starttls: \(error)")
    exit(1)
}
close(fd)
