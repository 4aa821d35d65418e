#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace streamrelay::media::amf0 {

// The few AMF0 values RTMP commands need, written by hand (no Debian library offers AMF0).
class Writer {
 public:
  void number(double value) {
    bytes_.push_back(0x00);
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    for (int i = 7; i >= 0; --i) bytes_.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  }
  void boolean(bool value) {
    bytes_.push_back(0x01);
    bytes_.push_back(value ? 1 : 0);
  }
  void string(const std::string& value) {
    bytes_.push_back(0x02);
    key(value);
  }
  void null() { bytes_.push_back(0x05); }
  void begin_object() { bytes_.push_back(0x03); }
  // An ECMA array: an object whose entry count comes first; closed by end_object().
  void begin_ecma_array(uint32_t count) {
    bytes_.push_back(0x08);
    for (int i = 3; i >= 0; --i) bytes_.push_back(static_cast<uint8_t>(count >> (8 * i)));
  }
  void end_object() { bytes_.insert(bytes_.end(), {0x00, 0x00, 0x09}); }
  void property(const std::string& name, const std::string& value) {
    key(name);
    string(value);
  }
  void property(const std::string& name, const char* value) { property(name, std::string(value)); }
  void property(const std::string& name, double value) {
    key(name);
    number(value);
  }
  void property(const std::string& name, const std::vector<std::string>& strings) {
    key(name);
    bytes_.push_back(0x0A);  // strict array
    auto count = static_cast<uint32_t>(strings.size());
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes_.push_back(static_cast<uint8_t>(count >> shift));
    for (const std::string& text : strings) string(text);
  }
  void property(const std::string& name, bool value) {
    key(name);
    boolean(value);
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  void key(const std::string& text) {
    size_t size = std::min<size_t>(text.size(), 0xFFFF);
    bytes_.push_back(static_cast<uint8_t>(size >> 8));
    bytes_.push_back(static_cast<uint8_t>(size));
    bytes_.insert(bytes_.end(), text.begin(), text.begin() + static_cast<long>(size));
  }
  std::vector<uint8_t> bytes_;
};

// Reads values in order; anything malformed reads as empty, zero or is skipped, never past the
// end of the bytes.
class Reader {
 public:
  explicit Reader(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}

  size_t position() const { return at_; }

  std::string string() {
    if (!has(1) || bytes_[at_] != 0x02) {
      skip();
      return {};
    }
    ++at_;
    return raw_string(2);
  }

  double number() {
    if (!has(9) || bytes_[at_] != 0x00) {
      skip();
      return 0;
    }
    uint64_t bits = 0;
    for (int i = 1; i <= 8; ++i) bits = (bits << 8) | bytes_[at_ + static_cast<size_t>(i)];
    at_ += 9;
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }

  // The string property `name` of the object (or ECMA array) that comes next; empty if none.
  std::string object_string(const std::string& name) {
    std::map<std::string, std::string> strings = object_strings();
    auto found = strings.find(name);
    return found == strings.end() ? std::string() : found->second;
  }

  // The string properties of the object (or ECMA array) that comes next, and into
  // `string_arrays` (when given) its strict arrays' strings; the others are skipped. Empty when
  // the next value is no object.
  std::map<std::string, std::string> object_strings(
      std::map<std::string, std::vector<std::string>>* string_arrays = nullptr) {
    std::map<std::string, std::string> found;
    if (!has(1) || (bytes_[at_] != 0x03 && bytes_[at_] != 0x08)) {
      skip();
      return found;
    }
    at_ += bytes_[at_] == 0x08 ? 5 : 1;
    while (has(3)) {
      if (bytes_[at_] == 0 && bytes_[at_ + 1] == 0 && bytes_[at_ + 2] == 0x09) {
        at_ += 3;
        break;
      }
      std::string key = raw_string(2);
      if (has(1) && bytes_[at_] == 0x02) {
        found[key] = string();
      } else if (string_arrays && has(5) && bytes_[at_] == 0x0A) {
        ++at_;
        uint32_t count = read_be(4);
        auto& strings = (*string_arrays)[key];
        for (uint32_t i = 0; i < count && at_ < bytes_.size(); ++i) strings.push_back(string());
      } else {
        skip();
      }
    }
    return found;
  }

  // The type marker of the next value; none at the end.
  std::optional<uint8_t> next_type() const {
    return has(1) ? std::optional<uint8_t>(bytes_[at_]) : std::nullopt;
  }

  // Skips one value of any type.
  void skip(int depth = 0) {
    if (!has(1) || depth > 32) {
      at_ = bytes_.size();
      return;
    }
    uint8_t type = bytes_[at_++];
    switch (type) {
      case 0x00:  // number
        at_ += 8;
        break;
      case 0x01:  // boolean
        at_ += 1;
        break;
      case 0x02:  // string
        raw_string(2);
        break;
      case 0x0C:  // long string
        raw_string(4);
        break;
      case 0x03:  // object
      case 0x08:  // ECMA array
        if (type == 0x08) at_ += 4;
        while (has(3)) {
          if (bytes_[at_] == 0 && bytes_[at_ + 1] == 0 && bytes_[at_ + 2] == 0x09) {
            at_ += 3;
            break;
          }
          raw_string(2);
          skip(depth + 1);
        }
        break;
      case 0x0A: {  // strict array
        uint32_t count = has(4) ? read_be(4) : 0;
        for (uint32_t i = 0; i < count && at_ < bytes_.size(); ++i) skip(depth + 1);
        break;
      }
      case 0x0B:  // date
        at_ += 10;
        break;
      case 0x05:  // null
      case 0x06:  // undefined
        break;
      default:
        at_ = bytes_.size();
    }
    if (at_ > bytes_.size()) at_ = bytes_.size();
  }

 private:
  bool has(size_t count) const { return at_ + count <= bytes_.size(); }
  uint32_t read_be(int count) {
    uint32_t value = 0;
    for (int i = 0; i < count; ++i) value = (value << 8) | bytes_[at_++];
    return value;
  }
  std::string raw_string(int length_bytes) {
    if (!has(static_cast<size_t>(length_bytes))) {
      at_ = bytes_.size();
      return {};
    }
    size_t size = read_be(length_bytes);
    if (!has(size)) {
      at_ = bytes_.size();
      return {};
    }
    std::string text(bytes_.begin() + static_cast<long>(at_),
                     bytes_.begin() + static_cast<long>(at_ + size));
    at_ += size;
    return text;
  }

  const std::vector<uint8_t>& bytes_;
  size_t at_ = 0;
};

}  // namespace streamrelay::media::amf0
