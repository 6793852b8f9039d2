#if canImport(Glibc)
import Glibc
#endif

/// Writing to standard output and standard error with write(2), line by line.
enum Console {
    /// Prints a line on standard output.
    static func out(_ line: String) {
        write(line + "\n", to: STDOUT_FILENO)
    }

    /// The reminder after any write: values live in RAM until the next reboot.
    static func remindNotFlashed() {
        error("rct: note: written to RAM only; the inverter forgets it on reboot (rct never flashes parameters)")
    }

    /// Prints a line on standard error.
    static func error(_ line: String) {
        write(line + "\n", to: STDERR_FILENO)
    }

    /// Writes all of `text` to a descriptor; a closed pipe ends the output quietly.
    static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { write($0, to: descriptor) }
    }

    /// Writes all of `bytes` to a descriptor; a closed pipe ends the output quietly.
    static func write(_ bytes: UnsafeBufferPointer<UInt8>, to descriptor: Int32) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if written <= 0 {
                if written < 0 && errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}

/// Reads a file or standard input in chunks, with read(2).
struct InputFile: ~Copyable {
    private let descriptor: Int32
    /// What the input is, for messages.
    let name: String

    /// Opens `path`, or standard input for nil or `-`.
    init(path: String?) throws {
        if let path, path != "-" {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw Failure("cannot open \(path): \(String(cString: strerror(errno)))", status: .badInput)
            }
            descriptor = fd
            name = path
        } else {
            descriptor = STDIN_FILENO
            name = "standard input"
        }
    }

    deinit { if descriptor != STDIN_FILENO { close(descriptor) } }

    /// The first four bytes of the file at `path` (fewer if it is shorter), to tell a capture
    /// file by its magic number; nil when it cannot be read (the reading itself then says why).
    static func magic(of path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4)
        let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 4) }
        return got >= 0 ? Array(bytes.prefix(got)) : nil
    }

    /// Reads the next chunk into `buffer` (up to its size) and returns how many bytes came;
    /// 0 at the end. The same buffer serves every read, so a capture of any size costs one
    /// allocation.
    func read(into buffer: UnsafeMutableBufferPointer<UInt8>) throws -> Int {
        while true {
            let got = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if got >= 0 { return got }
            if errno == EINTR { continue }
            throw Failure("cannot read \(name): \(String(cString: strerror(errno)))", status: .badInput)
        }
    }
}
