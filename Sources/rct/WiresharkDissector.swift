import RCTProtocol

/// The Wireshark dissector `rct dissector` prints: a Lua template, with the commands and the
/// object table filled in from the registry, so that every object shows by name.
enum WiresharkDissector {
    /// The Lua source for `registry`.
    static func lua(registry: Registry = .standard) -> String {
        var commands = TextBuffer(capacity: 1024)
        for command in Command.allCases {
            commands.append("  [0x")
            commands.appendHex(UInt64(command.rawValue), digits: 2)
            commands.append("] = { name = \"\(command.description)\", long = \(command.isLong), plant = \(command.isPlant), response = \(command.isResponse) },\n")
        }
        var objects = TextBuffer(capacity: 64 * registry.objects.count)
        for object in registry.objects {
            objects.append("  [0x")
            objects.appendHex(UInt64(object.id.rawValue), digits: 8)
            objects.append("] = { \"")
            objects.append(object.name.replacing("\\", with: "\\\\").replacing("\"", with: "\\\""))
            objects.append("\", \"\(object.requestType.rawValue)\", \"\(object.responseType.rawValue)\", \(object.isFraction) },\n")
        }
        return template
            .replacing("-- @COMMANDS@\n", with: commands.string)
            .replacing("-- @OBJECTS@\n", with: objects.string)
    }

    private static let template = #"""
-- Wireshark dissector for the RCT Power serial protocol, made by `rct dissector` from
-- rct's object table. Load it with `tshark -X lua_script:rct.lua` or put it in a Lua
-- plugin folder (`make install` does). It reads TCP port 8899, other TCP ports by a
-- heuristic (a whole frame with a good checksum), and rct's serial traces (link type USER0).

local rct = Proto("rct", "RCT Power serial protocol")
local trace = Proto("rct_trace", "rct serial trace")

local commands = {
-- @COMMANDS@
}

-- id = { name, request type, response type, fraction }
local objects = {
-- @OBJECTS@
}

local fields = {
  command = ProtoField.string("rct.command", "Command"),
  length = ProtoField.uint16("rct.length", "Length"),
  address = ProtoField.uint32("rct.address", "Plant address", base.HEX),
  id = ProtoField.uint32("rct.id", "Object id", base.HEX),
  name = ProtoField.string("rct.name", "Object"),
  value = ProtoField.string("rct.value", "Value"),
  crc = ProtoField.uint16("rct.crc", "CRC", base.HEX),
  crc_status = ProtoField.uint8("rct.crc.status", "CRC status", base.DEC, { [0] = "Bad", [1] = "Good" }),
  keepalive = ProtoField.string("rct.keepalive", "Keep-alive"),
  extension = ProtoField.bytes("rct.extension", "Extension frame"),
}
rct.fields = fields
local direction_field = ProtoField.uint8("rct.direction", "Direction", base.DEC, { [0] = "to the inverter", [1] = "from the inverter" })
trace.fields = { direction_field }

local expert_crc = ProtoExpert.new("rct.crc.bad", "CRC mismatch", expert.group.CHECKSUM, expert.severity.ERROR)
local expert_length = ProtoExpert.new("rct.length.wrong", "Wrong LEN: the frame ends where its checksum holds", expert.group.MALFORMED, expert.severity.WARN)
rct.experts = { expert_crc, expert_length }

local START, ESCAPE, MAXIMUM = 0x2B, 0x2D, 8192

local function crc16(bytes, count)
  local crc = 0xFFFF
  for i = 1, count do
    crc = bit32.bxor(crc, bit32.lshift(bytes[i], 8))
    for _ = 1, 8 do
      if bit32.band(crc, 0x8000) ~= 0 then
        crc = bit32.band(bit32.bxor(bit32.lshift(crc, 1), 0x1021), 0xFFFF)
      else
        crc = bit32.band(bit32.lshift(crc, 1), 0xFFFF)
      end
    end
  end
  return crc
end

-- The checksum of command, LEN and data (unescaped), with a zero byte when their count is odd.
local function frame_crc(content, count)
  local padded = {}
  for i = 1, count do padded[i] = content[i] end
  if count % 2 == 1 then padded[count + 1] = 0; count = count + 1 end
  return crc16(padded, count)
end

local function number(bytes, first, count, signed)
  local value = 0
  for i = first, first + count - 1 do value = value * 256 + bytes[i] end
  if signed and value >= 2 ^ (8 * count - 1) then value = value - 2 ^ (8 * count) end
  return value
end

local function format_value(kind, fraction, bytes, first, count)
  if count == 0 then return nil end
  if kind == "float" and count == 4 then
    local s = string.char(bytes[first], bytes[first + 1], bytes[first + 2], bytes[first + 3])
    local value = Struct.unpack(">f", s)
    if fraction then return string.format("%.1f %%", value * 100) end
    return string.format("%.4g", value)
  elseif (kind == "uint8" or kind == "enum") and count == 1 then return tostring(bytes[first])
  elseif kind == "bool" and count == 1 then return bytes[first] ~= 0 and "true" or "false"
  elseif kind == "int8" and count == 1 then return tostring(number(bytes, first, 1, true))
  elseif kind == "uint16" and count == 2 then return tostring(number(bytes, first, 2, false))
  elseif kind == "int16" and count == 2 then return tostring(number(bytes, first, 2, true))
  elseif kind == "uint32" and count == 4 then return string.format("%d", number(bytes, first, 4, false))
  elseif kind == "int32" and count == 4 then return string.format("%d", number(bytes, first, 4, true))
  elseif kind == "string" then
    local chars = {}
    for i = first, first + count - 1 do
      if bytes[i] == 0 then break end
      chars[#chars + 1] = string.char(bytes[i])
    end
    return table.concat(chars)
  end
  return nil
end

-- Reads unescaped bytes from raw index `pos` (0-based) until `count` are read.
-- Returns the bytes and the next raw index; or nil and "more" (the buffer ended) or
-- nil and "start" with the raw index of an unescaped start byte.
local function unescape(raw, length, pos, count, into)
  local out = into or {}
  while #out < count do
    if pos >= length then return nil, "more", pos end
    local byte = raw:get_index(pos)
    if byte == START then return nil, "start", pos end
    if byte == ESCAPE then
      if pos + 1 >= length then return nil, "more", pos end
      byte = raw:get_index(pos + 1)
      pos = pos + 2
    else
      pos = pos + 1
    end
    out[#out + 1] = byte
  end
  return out, pos
end

-- Tries a long frame whose LEN is wrong: the content up to raw index `limit` (the next
-- start byte, or the end of the buffer) with the last two bytes as checksum.
local function recover(raw, pos, limit)
  local content = {}
  while pos < limit do
    local byte = raw:get_index(pos)
    if byte == ESCAPE and pos + 1 < limit then byte = raw:get_index(pos + 1); pos = pos + 2 else pos = pos + 1 end
    content[#content + 1] = byte
  end
  return content
end

-- Whether `content` (command, LEN, data, checksum) ends with its own checksum.
local function checks_out(content)
  return frame_crc(content, #content - 2) == content[#content - 1] * 256 + content[#content]
end

-- Reads the frame that starts at raw index `pos` as its LEN declares it. Returns the LEN,
-- then the content (command, LEN, data, checksum) and the raw index after it, and the raw
-- index after the LEN. When the content cannot be read (a LEN above the maximum, a start
-- byte first, or the end of the buffer) it is nil and the third value says why
-- ("oversize", "start", "more"); when not even the LEN can be read, the LEN is nil too.
local function read_frame(raw, length, pos, spec)
  local lenBytes = spec.long and 2 or 1
  local header, after = unescape(raw, length, pos + 1, 1 + lenBytes)
  if header == nil then return nil, nil, after end
  local declared = lenBytes == 2 and header[2] * 256 + header[3] or header[2]
  if declared > MAXIMUM then return declared, nil, "oversize", after end
  local content, stop = unescape(raw, length, after, #header + declared + 2, { table.unpack(header) })
  return declared, content, stop, after
end

local function next_start(raw, length, pos)
  while pos < length do
    local byte = raw:get_index(pos)
    if byte == START then return pos end
    pos = pos + ((byte == ESCAPE) and 2 or 1)
  end
  return length
end

-- Adds one frame to the tree. `content` holds command, LEN, data and the two checksum bytes.
local function add_frame(tvb, tree, first, stop, command, content, lenBytes, declared, good, info)
  local spec = commands[command]
  local item = tree:add(rct, tvb(first, stop - first))
  item:add(fields.command, tvb(first + 1, 1), spec.name)
  local dataStart = 2 + lenBytes
  local dataCount = #content - dataStart - 1
  item:add(fields.length, tvb(first + 2, lenBytes), dataCount)
  local headerFirst = dataStart
  local name, kind, fraction = "(unknown object)", nil, false
  if spec.plant and dataCount >= 8 then
    item:add(fields.address, tvb(first, stop - first), number(content, dataStart, 4, false))
    headerFirst = dataStart + 4
  end
  local id = number(content, headerFirst, 4, false)
  item:add(fields.id, tvb(first, stop - first), id)
  local object = objects[id]
  if object then
    name = object[1]
    kind = spec.response and object[3] or object[2]
    fraction = object[4]
  end
  item:add(fields.name, tvb(first, stop - first), name)
  local text = spec.name .. " " .. name
  local valueFirst = headerFirst + 4
  local value = good and kind and format_value(kind, fraction, content, valueFirst, dataStart + dataCount - valueFirst) or nil
  if value then
    item:add(fields.value, tvb(first, stop - first), value)
    text = text .. " = " .. value
  end
  local received = content[#content - 1] * 256 + content[#content]
  item:add(fields.crc, tvb(stop - 2, 2), received)
  local status = item:add(fields.crc_status, tvb(stop - 2, 2), good and 1 or 0)
  if not good then
    status:add_proto_expert_info(expert_crc)
    text = text .. " [CRC mismatch]"
  end
  if declared and declared ~= dataCount then
    item:add_proto_expert_info(expert_length, string.format("LEN said %d, actual %d", declared, dataCount))
  end
  item:append_text(": " .. text)
  info[#info + 1] = text
end

-- Dissects a buffer of the stream. Returns the raw index where a frame starts that the
-- buffer does not finish (nil when it ends between frames).
local function dissect_stream(tvb, pinfo, tree)
  local raw = tvb:bytes()
  local length = raw:len()
  local pos = 0
  local info = {}
  while pos < length do
    local byte = raw:get_index(pos)
    if byte == START then
      if pos + 1 >= length then return pos, info end
      local command = raw:get_index(pos + 1)
      if command == 0x3C then
        -- The vendor app's EXTENSION frame: 2B 3C and one more byte.
        if pos + 2 >= length then return pos, info end
        tree:add(fields.extension, tvb(pos, 3))
        info[#info + 1] = "EXTENSION"
        pos = pos + 3
      elseif commands[command] == nil then
        pos = pos + 1
      else
        local spec = commands[command]
        local lenBytes = spec.long and 2 or 1
        local declared, content, stop, after = read_frame(raw, length, pos, spec)
        if declared == nil then
          if stop == "more" then return pos, info end
          pos = pos + 1
        elseif declared > MAXIMUM or (declared < (spec.plant and 8 or 4) and not spec.long) then
          pos = pos + 1
        else
          local good = content ~= nil and checks_out(content)
          if not good and spec.long then
            -- A long frame's LEN may be wrong: try the end before the next start byte.
            -- When the bytes run out first, the end of what has arrived is tried (a frame
            -- whose LEN promises more than comes); if it does not check out, more is awaited.
            local limit = next_start(raw, length, after)
            local recovered = recover(raw, pos + 1, limit)
            if #recovered >= 3 + lenBytes + 4 and checks_out(recovered) then
              add_frame(tvb, tree, pos, limit, command, recovered, lenBytes, declared, true, info)
              pos = limit
              goto continue
            end
            if limit == length and stop == "more" then return pos, info end
          end
          if content == nil then
            if stop == "more" then return pos, info end
            pos = pos + 1
          elseif good then
            add_frame(tvb, tree, pos, stop, command, content, lenBytes, nil, true, info)
            pos = stop
          else
            add_frame(tvb, tree, pos, stop, command, content, lenBytes, nil, false, info)
            pos = pos + 1
          end
        end
      end
    elseif byte == 0x41 and pos + 2 < length and raw:get_index(pos + 1) == 0x54 and raw:get_index(pos + 2) == 0x2B then
      -- An AT+ keep-alive of the Wi-Fi module, up to the end of its line.
      local stop = pos
      while stop < length and raw:get_index(stop) ~= 0x0D and raw:get_index(stop) ~= 0x0A and raw:get_index(stop) ~= START do stop = stop + 1 end
      while stop < length and (raw:get_index(stop) == 0x0D or raw:get_index(stop) == 0x0A) do stop = stop + 1 end
      tree:add(fields.keepalive, tvb(pos, stop - pos), tvb(pos, stop - pos):string())
      info[#info + 1] = "keep-alive"
      pos = stop
    else
      -- Noise, or the 0x00 some devices send before a start byte.
      pos = pos + 1
    end
    ::continue::
  end
  return nil, info
end

local function show(pinfo, info)
  if #info > 0 then
    pinfo.cols.protocol = "RCT"
    pinfo.cols.info = table.concat(info, ", ")
  end
end

function rct.dissector(tvb, pinfo, tree)
  local stop, info = dissect_stream(tvb, pinfo, tree)
  show(pinfo, info)
  if stop then
    -- A frame goes on in the next segment: let TCP reassemble it.
    pinfo.desegment_offset = stop
    pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
  end
  return tvb:len()
end

-- The heuristic: a whole frame with a good checksum near the start of the segment.
local function heuristic(tvb, pinfo, tree)
  local raw = tvb:bytes()
  local length = raw:len()
  local pos = 0
  while pos < length and pos < 4 and raw:get_index(pos) ~= START do pos = pos + 1 end
  if pos >= length - 1 or raw:get_index(pos) ~= START then return false end
  local spec = commands[raw:get_index(pos + 1)]
  if not spec then return false end
  local _, content = read_frame(raw, length, pos, spec)
  if not content or not checks_out(content) then return false end
  pinfo.conversation = rct
  rct.dissector(tvb, pinfo, tree)
  return true
end

-- rct's serial traces: a direction byte, then a chunk of the stream. Chunks are joined
-- per direction on the first pass, so frames split across reads come out whole.
local carry = { [0] = nil, [1] = nil }
local joined = {}
function trace.dissector(tvb, pinfo, tree)
  if tvb:len() < 1 then return 0 end
  local direction = tvb(0, 1):uint()
  local subtree = tree:add(trace, tvb())
  subtree:add(direction_field, tvb(0, 1))
  local chunk = tvb(1):bytes()
  if not pinfo.visited then
    local buffer = ByteArray.new()
    if carry[direction] then buffer:append(carry[direction]) end
    buffer:append(chunk)
    joined[pinfo.number] = buffer
  end
  local buffer = joined[pinfo.number]
  if buffer == nil or buffer:len() == 0 then return tvb:len() end
  local stream = buffer:tvb("Serial stream")
  local stop, info = dissect_stream(stream, pinfo, tree)
  show(pinfo, info)
  if not pinfo.visited then
    carry[direction] = stop and buffer:subset(stop, buffer:len() - stop) or nil
  end
  return tvb:len()
end

function rct.init()
  carry = { [0] = nil, [1] = nil }
  joined = {}
end

DissectorTable.get("tcp.port"):add(8899, rct)
rct:register_heuristic("tcp", heuristic)
DissectorTable.get("wtap_encap"):add(wtap_encaps.USER0, trace)
"""#
}
