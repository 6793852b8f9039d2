#!/usr/bin/env python3
"""Write Registry/objects.tsv from the object facts published with python rctclient.

Only facts travel: object id, name, request and response data type, unit and
enum labels. Descriptions are ours and live in Registry/descriptions.tsv.
Run inside a virtual environment that has rctclient installed:

    python3 scripts/import-registry-facts.py > Registry/objects.tsv
"""
import sys

from rctclient.registry import REGISTRY

TYPES = {
    "BOOL": "bool", "UINT8": "uint8", "INT8": "int8", "UINT16": "uint16",
    "INT16": "int16", "UINT32": "uint32", "INT32": "int32", "ENUM": "enum",
    "FLOAT": "float", "STRING": "string", "TIMESERIES": "timeseries",
    "EVENT_TABLE": "event_table", "BATTERY_MODULE_STATUS": "battery_cells",
    "BATTERY_MODULE_STATISTICS": "battery_statistics",
    "BATTERY_MODULE_RESISTANCE": "battery_resistance", "UNKNOWN": "unknown",
}


def clean(text):
    return text.replace("\t", " ").replace("\n", " ").replace("|", "/").replace("=", "-")


def main():
    out = sys.stdout
    out.write("# id\tname\trequest_type\tresponse_type\tunit\tlabels\n")
    for info in sorted(REGISTRY.all(), key=lambda o: o.name):
        labels = ""
        if info.enum_map:
            labels = "|".join(f"{k}={clean(v)}" for k, v in sorted(info.enum_map.items()))
        out.write("\t".join([
            f"0x{info.object_id:08X}", info.name,
            TYPES[info.request_data_type.name], TYPES[info.response_data_type.name],
            info.unit or "", labels,
        ]) + "\n")


if __name__ == "__main__":
    main()
