#!/bin/bash
# placeholder: replaced by the test of this class
echo "FAIL: device-policy-always not written yet"
exit 1
