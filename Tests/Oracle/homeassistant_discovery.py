#!/usr/bin/env python3
"""Validates MQTT discovery configs with Home Assistant's own schemas, as Home Assistant does
when such a config arrives (its `DISCOVERY_SCHEMA` of each MQTT platform).

  homeassistant_discovery.py < CONFIGS

CONFIGS is a JSON object {topic: payload text} of retained discovery messages, topics
`<prefix>/<component>/<node>/<object>/config`. Prints one JSON object: the Home Assistant
version, how many configs were accepted, and for each one refused its topic and Home
Assistant's error. Exits 0 when every config was accepted, 1 otherwise. Needs the package
`homeassistant` (Home Assistant is Apache-2.0; it is run here as an oracle, none of its code
enters ours) with paho-mqtt, as installed by `make venv-ha`.
"""
import importlib
import json
import sys

from homeassistant.const import __version__ as version
import voluptuous as vol


def main():
    configs = json.load(sys.stdin)
    accepted = 0
    refused = []
    for topic, payload in sorted(configs.items()):
        component = topic.split("/")[1]
        try:
            platform = importlib.import_module(f"homeassistant.components.mqtt.{component}")
            platform.DISCOVERY_SCHEMA(json.loads(payload))
            accepted += 1
        except (vol.Invalid, ValueError, ModuleNotFoundError) as error:
            refused.append({"topic": topic, "error": str(error)})
    print(json.dumps({"version": version, "accepted": accepted, "refused": refused}))
    return 0 if not refused else 1


if __name__ == "__main__":
    sys.exit(main())
