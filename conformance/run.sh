#!/usr/bin/env bash
# Placeholder until the differential conformance suite lands.
echo "conformance: not yet implemented"
