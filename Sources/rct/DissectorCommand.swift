import ArgumentParser

/// `rct dissector`: prints the Wireshark dissector made from the object table.
struct DissectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dissector",
        abstract: "Print a Wireshark dissector (Lua) for this protocol, made from the object table.",
        discussion: "Use it with 'tshark -X lua_script:rct.lua' or 'wireshark -X lua_script:rct.lua', or put it in Wireshark's Lua plugin folder ('make install' does). It reads TCP port 8899, other TCP ports by a heuristic, and rct's serial traces (--trace-pcap, monitor --save-pcap).")

    func run() throws {
        Console.out(WiresharkDissector.lua())
    }
}
