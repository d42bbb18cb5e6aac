#!/bin/bash
# placeholder: replaced by the test of this class
echo "FAIL: unpack-disk-full not written yet"
exit 1
