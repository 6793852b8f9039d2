/// A registry's objects looked up by id for one thread of work, each handed out as a copy of
/// its own, made at its first lookup.
///
/// A dump looks an object up for every frame and keeps it with the frame's line. Handing on
/// an ``ObjectInfo`` counts a reference in the object; when threads on several cores hand on
/// the same objects, each count waits for the others' (`rct decode` on two cores spent about a
/// tenth of its time there, Documentation/Performance.md). A thread's own copies are counted
/// on its core only.
public struct LocalRegistry: Sendable {
    private let registry: Registry
    private var copies: [ObjectInfo?]

    /// Lookups in `registry`, with no copy made yet.
    public init(_ registry: Registry) {
        self.registry = registry
        copies = Array(repeating: nil, count: registry.objects.count)
    }

    /// The object with this id, as this lookup's own copy; nil when the registry has none.
    public mutating func object(id: ObjectID) -> ObjectInfo? {
        guard let position = registry.position(of: id) else { return nil }
        if let copy = copies[position] { return copy }
        let shared = registry.objects[position]
        let copy = ObjectInfo(id: shared.id, name: shared.name, requestType: shared.requestType,
                              responseType: shared.responseType, unit: shared.unit, labels: shared.labels,
                              summary: shared.summary, isFraction: shared.isFraction)
        copies[position] = copy
        return copy
    }
}
