#!/bin/sh
# Doxygen INPUT_FILTER: reads the public headers' plain comments as
# documentation, so the headers keep their one comment style (and the C
# header stays readable as the man page it is) instead of growing /** and
# ///< markers everywhere. Only doxygen's view of the file changes:
#  - the file's opening comment becomes the file's documentation (@file at
#    the end of its first line: a @file without a name is this file);
#  - a comment that starts a line documents the declaration after it;
#  - a comment after a member or enumerator on the same line documents that
#    member (///< and /**<).
# Lines keep their numbers, so doxygen's warnings point at the real header.
exec sed -e '1s|^/\*\(.*\)$|/**\1 @file|' \
  -e '1s|^//\(.*\)$|///\1 @file|' \
  -e 's|^\([[:space:]]*\)/\*\([^*]\)|\1/**\2|' \
  -e 's|^\([[:space:]]*\)//\([^/]\)|\1///\2|' \
  -e 's|^\([[:space:]]*\)//$|\1///|' \
  -e 's|\([;,]\)\([[:space:]]*\)/\*\([^*]\)|\1\2/**<\3|' \
  -e 's|\([;,]\)\([[:space:]]*\)//\([^/]\)|\1\2///<\3|' \
  -e 's|\([A-Za-z0-9_]\)\([[:space:]]\{1,\}\)/\*\([^*]\)|\1\2/**<\3|' \
  -e 's|\([A-Za-z0-9_]\)\([[:space:]]\{1,\}\)//\([^/]\)|\1\2///<\3|' \
  "$1"
