import Testing
@testable import TLS13

@Suite struct PlaintextQueueTests {
    @Test func readsComeBackInOrderWhateverTheSizes() {
        var q = PlaintextQueue()
        #expect(q.take(10) == nil)
        let records: [[UInt8]] = [Array(0..<5), [], Array(5..<20), Array(20..<23)]
        for r in records { q.append(r) }
        #expect(q.count == 23)
        var out: [UInt8] = []
        var sizes: [Int] = []
        while let chunk = q.take(7) {
            #expect(chunk.count <= 7 && !chunk.isEmpty)
            sizes.append(chunk.count)
            out += chunk
        }
        #expect(out == Array(0..<23))
        #expect(sizes == [5, 7, 7, 1, 3], "a read never spans two records")
        #expect(q.count == 0 && q.take(1) == nil)
    }

    @Test func aWholeRecordThatFitsIsHandedOver() {
        var q = PlaintextQueue()
        let record = [UInt8](repeating: 9, count: 16_384)
        q.append(record)
        let got = q.take(1 << 16)
        #expect(got == record)
        #expect(q.count == 0)
    }

    @Test func interleavedAppendsAndReadsKeepTheOrder() {
        var q = PlaintextQueue()
        var expected: [UInt8] = []
        var got: [UInt8] = []
        for i in 0..<1000 {
            let record = [UInt8(i & 0xff), UInt8((i >> 8) & 0xff)]
            q.append(record)
            expected += record
            got += q.take(1) ?? []  // one byte per two appended: the queue grows by one byte a record
        }
        #expect(q.count == 1000)
        while let chunk = q.take(100) { got += chunk }
        #expect(got == expected && q.count == 0)
    }
}
