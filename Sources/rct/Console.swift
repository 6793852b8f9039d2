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
    /// file by its magic number; nil when it cannot be read (the reading itself then says why)
    /// or is not a regular file: the bytes read from a named pipe would be lost to the decode.
    /// (Not even opened then: a writer into the pipe could find it without a reader.)
    static func magic(of path: String) -> [UInt8]? {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4)
        let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 4) }
        return got >= 0 ? Array(bytes.prefix(got)) : nil
    }

    /// A reader of the file at any offset, from any thread, when the input is a file named on
    /// the command line and a regular one: such a file can be decoded in parts
    /// (``PartedDecode``). Valid while this input is open.
    var positionalReader: PositionalReader? {
        guard descriptor != STDIN_FILENO else { return nil }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return PositionalReader(descriptor: descriptor, name: name, size: Int(status.st_size))
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

/// Reads a regular file at given offsets with pread(2), which several threads may do at once.
struct PositionalReader: Sendable {
    fileprivate let descriptor: Int32
    /// What the file is, for messages.
    let name: String
    /// The file's size when it was opened; a file that grows meanwhile is read to this size.
    let size: Int

    /// Fills `buffer` with the bytes at `offset` and returns how many came: fewer than the
    /// buffer holds only at the end of the file, none past it.
    func read(into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) throws(Failure) -> Int {
        var filled = 0
        while filled < buffer.count {
            let got = pread(descriptor, buffer.baseAddress.map { $0 + filled }, buffer.count - filled, off_t(offset + filled))
            if got > 0 {
                filled += got
            } else if got == 0 {
                break
            } else if errno != EINTR {
                throw Failure("cannot read \(name): \(String(cString: strerror(errno)))", status: .badInput)
            }
        }
        return filled
    }
}
