/// Application data waiting to be read: a queue of records' plaintext.
struct PlaintextQueue {
    private var chunks: [[UInt8]] = []
    private var head = 0  // index of the first unread chunk
    private var offset = 0  // bytes of chunks[head] already returned
    /// Bytes waiting.
    private(set) var count = 0

    mutating func append(_ data: [UInt8]) {
        guard !data.isEmpty else { return }
        chunks.append(data)
        count += data.count
    }

    /// What ``take(_:)`` would return, without consuming it.
    func peek(_ maxCount: Int) -> [UInt8]? {
        guard head < chunks.count else { return nil }
        let chunk = chunks[head]
        if offset == 0, chunk.count <= maxCount { return chunk }
        return Array(chunk[offset..<min(chunk.count, offset + maxCount)])
    }

    /// Up to `maxCount` bytes, or `nil` when empty. A whole record that fits is returned as is (no copy).
    mutating func take(_ maxCount: Int) -> [UInt8]? {
        guard head < chunks.count else { return nil }
        let chunk = chunks[head]
        let result: [UInt8]
        if offset == 0, chunk.count <= maxCount {
            result = chunk
            chunks[head] = []
            head += 1
        } else {
            let end = min(chunk.count, offset + maxCount)
            result = Array(chunk[offset..<end])
            offset = end
            if offset == chunk.count {
                chunks[head] = []
                head += 1
                offset = 0
            }
        }
        count -= result.count
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 {
            chunks.removeFirst(head)
            head = 0
        }
        return result
    }
}
