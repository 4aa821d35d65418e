#pragma once

#include <string>
#include <string_view>

namespace streamrelay::net {

// The URL as logs, events and runtime fields may show it. Masked by default: the user info,
// every query value whose name is not on a short allow-list of harmless settings (names compared
// after percent-decoding), and for RTMP the stream name (the stream key on most platforms), of
// which a short prefix stays for recognition. Scheme, host, port and the rest of the path stay.
std::string mask_url(std::string_view url);

// `text` with every secret of `url` (the parts mask_url hides) replaced by its masked form: for
// error messages that may quote a URL or a server's answer naming the stream.
std::string redact_url_secrets(std::string text, std::string_view url);

// Every URL inside free text (a library's log line) masked.
std::string mask_urls_in(std::string_view text);

}  // namespace streamrelay::net
