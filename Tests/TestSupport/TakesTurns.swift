import Testing

/// A trait for tests that must not overlap other turn-takers (`Turns` says why).
public struct TakesTurns: TestTrait, SuiteTrait, TestScoping {
    public init() {}

    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        // A suite's own scope is not a test: only each test takes a turn.
        guard testCase != nil || !test.isSuite else { return try await function() }
        try await Turns.take { try await function() }
    }
}

extension Trait where Self == TakesTurns {
    public static var takesTurns: Self { TakesTurns() }
}
