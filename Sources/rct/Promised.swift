import Dispatch
import Synchronization

/// A value made on one thread and taken on another: the taker waits until it is made.
final class Promised<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    private let made = DispatchSemaphore(value: 0)

    /// A promise whose value is not made yet; `placeholder` stands in its place until then
    /// and is never handed out.
    init(placeholder: Value) {
        value = Mutex(placeholder)
    }

    /// Hands over the value; called once.
    func fulfil(_ made: Value) {
        value.withLock { $0 = made }
        self.made.signal()
    }

    /// The value, once it is made; called once.
    func wait() -> Value {
        made.wait()
        return value.withLock { $0 }
    }
}
