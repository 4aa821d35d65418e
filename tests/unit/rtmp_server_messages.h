// AMF0 command bodies a server sends a client, for the RTMP session tests and fuzzer.
#pragma once

#include <optional>
#include <string>

#include "media/rtmp/codec/amf0.h"
#include "unit/rtmp_chunk_bytes.h"

namespace rtmp_test {

// _result or _error to `transaction`: null, then `number` (createStream's stream id) or an
// information object with `code`.
inline Bytes reply_body(const char* name, double transaction, std::optional<double> number = {},
                        const char* code = "NetConnection.Connect.Success") {
  streamrelay::media::amf0::Writer writer;
  writer.string(name);
  writer.number(transaction);
  writer.null();
  if (number) {
    writer.number(*number);
  } else {
    writer.begin_object();
    writer.property("level", std::string(name) == "_error" ? "error" : "status");
    writer.property("code", code);
    writer.property("description", "as the server put it");
    writer.end_object();
  }
  return writer.bytes();
}

// onStatus with its information object.
inline Bytes status_body(const char* level, const char* code, const char* description = "") {
  streamrelay::media::amf0::Writer writer;
  writer.string("onStatus");
  writer.number(0);
  writer.null();
  writer.begin_object();
  writer.property("level", level);
  writer.property("code", code);
  writer.property("description", description);
  writer.end_object();
  return writer.bytes();
}

}  // namespace rtmp_test
