/// Errors raised by the test helpers themselves (bad hex, missing vector files, a server that did not start).
public struct VectorError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
}
