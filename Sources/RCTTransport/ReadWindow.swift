import RCTProtocol

/// Reads under way on one link, up to a number at once: which request an answer belongs
/// to, which one is overdue, and whether an object may be asked for now.
///
/// The bookkeeping shared by a windowed `rct get` (``Client/read(_:window:)``) and the
/// gateway's upstream side; each keeps its own policy for what to send next and what to do
/// with an overdue or unusable answer. A plain value without I/O: the owner sends, receives
/// and reads the clock, so it is tested without a link.
public struct ReadWindow<Tag> {
    /// One request under way.
    public struct Flight {
        /// What the owner knows the request by.
        public let tag: Tag
        /// The request as sent.
        public let request: Frame
        /// How many times it has been sent.
        public fileprivate(set) var attempts: Int
        /// When its answer is overdue.
        public fileprivate(set) var deadline: Deadline
        /// When it was first sent.
        public let started: Deadline
    }

    /// How many requests may be under way at once.
    public let capacity: Int
    /// The requests under way, oldest first.
    public private(set) var flights: [Flight] = []

    /// An empty window for up to `capacity` requests at once.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Whether nothing is under way.
    public var isEmpty: Bool { flights.isEmpty }

    /// Whether a request may join: fewer than `capacity` are under way.
    public var hasRoom: Bool { flights.count < capacity }

    /// Whether a request for `objectID` is under way: a second one could not be told apart
    /// from it by its answer.
    public func isReading(_ objectID: ObjectID) -> Bool {
        flights.contains { $0.request.objectID == objectID }
    }

    /// Notes `request` as sent at `now` for the first time, overdue at `deadline`.
    public mutating func sent(_ request: Frame, tag: Tag, at now: Deadline, deadline: Deadline) {
        flights.append(Flight(tag: tag, request: request, attempts: 1, deadline: deadline, started: now))
    }

    /// Notes the request at `index` as sent once more, overdue at `deadline`.
    public mutating func resent(at index: Int, deadline: Deadline) {
        flights[index].attempts += 1
        flights[index].deadline = deadline
    }

    /// Where the request that `frame` answers is (same object, and for plant frames the same
    /// address), if one is under way.
    public func index(answeredBy frame: Frame) -> Int? {
        flights.firstIndex { Client.answers(frame, $0.request) }
    }

    /// Where a request whose answer is overdue at `now` is, the oldest first.
    public func indexOfOverdue(at now: Deadline) -> Int? {
        flights.firstIndex { $0.deadline <= now }
    }

    /// Ends the request at `index` and returns it.
    public mutating func remove(at index: Int) -> Flight {
        flights.remove(at: index)
    }

    /// Ends every request (the link is gone).
    public mutating func removeAll() {
        flights.removeAll()
    }

    /// The soonest time an answer becomes overdue, if anything is under way.
    public var soonestDeadline: Deadline? {
        flights.map(\.deadline).min()
    }
}
