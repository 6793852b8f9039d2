#!/usr/bin/env python3
"""Validates MQTT discovery configs with Home Assistant's own schemas, as Home Assistant does
when such a config arrives (its `DISCOVERY_SCHEMA` of each MQTT platform).

  homeassistant_discovery.py < CONFIGS

CONFIGS is a JSON object {topic: payload text} of retained discovery messages, topics
`<prefix>/<component>/<node>/<object>/config`. Prints one JSON object: the Home Assistant
version, how many configs were accepted, and for each one refused its topic and Home
Assistant's error. A config that Home Assistant takes with a warning (such as "This stops
working from HA Core 2024.2.0") counts as refused: a later release refuses it. Exits 0 when
every config was accepted, 1 otherwise. Needs the package
`homeassistant` (Home Assistant is Apache-2.0; it is run here as an oracle, none of its code
enters ours) with paho-mqtt, as installed by `make venv-ha`.
"""
import importlib
import json
import logging
import sys

# Home Assistant's own start-up imports persistent_notification before the MQTT integration;
# importing mqtt first runs into a circular import between websocket_api and http.
import homeassistant.components.persistent_notification  # noqa: F401
from homeassistant.const import __version__ as version
import voluptuous as vol


class Warnings(logging.Handler):
    """The warnings Home Assistant logs while it validates one config."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def main():
    configs = json.load(sys.stdin)
    accepted = 0
    refused = []
    warnings = Warnings()
    logging.getLogger("homeassistant").addHandler(warnings)
    logging.getLogger("homeassistant").propagate = False
    for topic, payload in sorted(configs.items()):
        component = topic.split("/")[1]
        warnings.messages.clear()
        try:
            platform = importlib.import_module(f"homeassistant.components.mqtt.{component}")
            platform.DISCOVERY_SCHEMA(json.loads(payload))
            if warnings.messages:
                refused.append({"topic": topic, "error": "warned: " + "; ".join(warnings.messages)})
            else:
                accepted += 1
        except (vol.Invalid, ValueError, ModuleNotFoundError) as error:
            refused.append({"topic": topic, "error": str(error)})
    print(json.dumps({"version": version, "accepted": accepted, "refused": refused}))
    return 0 if not refused else 1


if __name__ == "__main__":
    sys.exit(main())
