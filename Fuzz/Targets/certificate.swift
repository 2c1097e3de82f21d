// libFuzzer entry point of the `certificate` target; the target itself is `_fuzzCertificate` in TLS13 (fuzz builds only).
// Built by Scripts/fuzz.sh, never by `swift build`.
import TLS13

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _fuzzCertificate(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
