// libFuzzer entry point of the `record` target; the target itself is `_fuzzRecordLayer` in TLS13 (fuzz builds only).
// Built by Scripts/fuzz.sh, never by `swift build`.
import TLS13

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _fuzzRecordLayer(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
