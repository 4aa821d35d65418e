#include "support/nginx_rtmp.h"

#include <signal.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "support/http_client.h"

namespace streamrelay::test_support {

NginxRtmp::NginxRtmp(std::string folder, const std::string& extra_applications)
    : folder_(std::move(folder)), rtmp_port_(free_port()), http_port_(free_port()) {
  std::filesystem::create_directories(folder_ + "/logs");
  std::filesystem::create_directories(folder_ + "/tmp");
  std::filesystem::create_directories(files_folder());
  std::ofstream conf(folder_ + "/nginx.conf");
  conf << "load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;\n"
       << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
       << "error_log " << folder_ << "/logs/error.log info;\n"
       << "pid " << folder_ << "/logs/nginx.pid;\n"
       << "worker_rlimit_nofile 65536;\n"
       << "events { worker_connections 16384; }\n"
       << "rtmp {\n  server {\n    listen 127.0.0.1:" << rtmp_port_ << ";\n"
       << "    access_log " << folder_ << "/logs/rtmp_access.log;\n"
       << "    application live { live on; }\n"
       << "    application other { live on; }\n"
       // The app and instance of "rtmp://host/app/inst/stream" arrive as one app, "app/inst";
       // YouTube's "live2?backup=1" arrives as "live2" with arguments.
       << "    application app/inst { live on; }\n"
       << "    application live2 { live on; }\n"
       << extra_applications << "    application hls { live on; hls on; hls_path " << folder_
       << "/hls;"
       << " hls_fragment 1s; hls_playlist_length 6s; }\n  }\n}\n"
       << "http {\n  access_log off;\n  client_body_temp_path " << folder_ << "/tmp;\n"
       << "  proxy_temp_path " << folder_ << "/tmp;\n  fastcgi_temp_path " << folder_ << "/tmp;\n"
       << "  uwsgi_temp_path " << folder_ << "/tmp;\n  scgi_temp_path " << folder_ << "/tmp;\n"
       << "  server {\n    listen 127.0.0.1:" << http_port_ << ";\n"
       << "    location /stat { rtmp_stat all; }\n"
       << "    location /files/ { alias " << folder_ << "/files/; }\n"
       << "    location /hls { root " << folder_ << "; types { application/vnd.apple.mpegurl m3u8;"
       << " video/mp2t ts; } }\n  }\n}\n";
  conf.close();
  start();
}

NginxRtmp::~NginxRtmp() {
  stop();
}

void NginxRtmp::start() {
  process_ = Process({"nginx", "-p", folder_, "-c", folder_ + "/nginx.conf"},
                     folder_ + "/logs/stdout.log");
  if (!eventually([this] { return !stat().empty(); }, std::chrono::seconds(10))) {
    throw std::runtime_error("nginx did not start: " + read_file(folder_ + "/logs/error.log"));
  }
}

void NginxRtmp::stop() {
  process_.stop(SIGQUIT, std::chrono::seconds(3));
}

std::string NginxRtmp::url(const std::string& stream, const std::string& app) const {
  return "rtmp://127.0.0.1:" + std::to_string(rtmp_port_) + "/" + app + "/" + stream;
}

std::string NginxRtmp::files_folder() const {
  return folder_ + "/files";
}

std::string NginxRtmp::file_url(const std::string& name) const {
  return "http://127.0.0.1:" + std::to_string(http_port_) + "/files/" + name;
}

std::string NginxRtmp::hls_url(const std::string& stream) const {
  return "http://127.0.0.1:" + std::to_string(http_port_) + "/hls/" + stream + ".m3u8";
}

std::string NginxRtmp::stat() {
  HttpClient client;
  HttpReply reply =
      client.request("GET", "http://127.0.0.1:" + std::to_string(http_port_) + "/stat", "", {},
                     std::chrono::seconds(2));
  if (reply.status != 200) return "";
  std::string xml = reply.body;
  std::erase(xml, '\r');
  return xml;
}

long NginxRtmp::publisher_id(const std::string& stream) {
  std::string xml = stat();
  size_t at = xml.find("<stream>\n<name>" + stream + "</name>");
  if (at == std::string::npos) at = xml.find("<stream><name>" + stream + "</name>");
  if (at == std::string::npos) return -1;
  size_t end = xml.find("</stream>", at);
  std::string block = xml.substr(at, end - at);
  std::smatch match;
  std::regex publisher("<client><id>([0-9]+)</id>[^\\n]*<publishing/>");
  if (!std::regex_search(block, match, publisher)) return -1;
  return std::stol(match[1]);
}

int NginxRtmp::players(const std::string& stream) {
  std::string xml = stat();
  size_t at = xml.find("<name>" + stream + "</name>");
  if (at == std::string::npos) return 0;
  std::string block = xml.substr(at, xml.find("</stream>", at) - at);
  int count = 0;
  for (size_t client = block.find("<client>"); client != std::string::npos;
       client = block.find("<client>", client + 1)) {
    std::string entry = block.substr(client, block.find("</client>", client) - client);
    count += entry.find("<publishing/>") == std::string::npos ? 1 : 0;
  }
  return count;
}

int NginxRtmp::ended_publish_sessions(const std::string& stream) {
  std::istringstream log(read_file(folder_ + "/logs/rtmp_access.log"));
  std::string line;
  int count = 0;
  while (std::getline(log, line)) {
    if (line.find("PUBLISH") != std::string::npos &&
        line.find("\"" + stream + "\"") != std::string::npos) {
      ++count;
    }
  }
  return count;
}

}  // namespace streamrelay::test_support

namespace streamrelay::test_support {

namespace {

// Unix seconds of an nginx log line's "2026/01/02 03:04:05" stamp (nginx writes local time).
int64_t log_seconds(const std::string& line) {
  std::tm parts{};
  if (sscanf(line.c_str(), "%d/%d/%d %d:%d:%d", &parts.tm_year, &parts.tm_mon, &parts.tm_mday,
             &parts.tm_hour, &parts.tm_min, &parts.tm_sec) != 6) {
    return 0;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  parts.tm_isdst = -1;
  return static_cast<int64_t>(mktime(&parts));
}

}  // namespace

std::vector<NginxRtmp::PublishSession> NginxRtmp::publish_sessions(const std::string& stream) {
  // nginx-rtmp logs, per connection "*N": "publish: name='S' ...", then "deleteStream" when the
  // client sends it, and "disconnect" when the connection ends (followed by its own cleanup).
  std::istringstream log(read_file(folder_ + "/logs/error.log"));
  std::regex connection_of(" \\*([0-9]+) ");
  std::map<std::string, size_t> open;  // connection -> index of its session
  std::vector<PublishSession> sessions;
  std::string line;
  while (std::getline(log, line)) {
    std::smatch match;
    if (!std::regex_search(line, match, connection_of)) continue;
    std::string connection = match[1];
    auto found = open.find(connection);
    if (line.find("publish: name='" + stream + "'") != std::string::npos) {
      open[connection] = sessions.size();
      sessions.push_back({log_seconds(line), 0, false});
    } else if (found != open.end() && line.find("deleteStream") != std::string::npos) {
      sessions[found->second].is_clean = true;
    } else if (found != open.end() && line.find(" disconnect,") != std::string::npos) {
      sessions[found->second].ended = log_seconds(line);
      open.erase(found);
    }
  }
  return sessions;
}

NginxRtmp::Unpublishes NginxRtmp::unpublishes(const std::string& stream) {
  Unpublishes result;
  for (const PublishSession& session : publish_sessions(stream)) {
    if (session.ended == 0) continue;
    (session.is_clean ? result.clean : result.abrupt) += 1;
  }
  return result;
}

std::vector<NginxRtmp::ClientSession> NginxRtmp::client_sessions() {
  // nginx-rtmp at info level: "*N connect: app='A' args='Q' flashver='F' swf_url='' tc_url='T'",
  // then "*N publish: name='S' args='Q' type=live" or "*N play: name='S' args='Q' start=...".
  std::istringstream log(read_file(folder_ + "/logs/error.log"));
  std::regex connect(
      " \\*([0-9]+) connect: app='([^']*)' args='([^']*)' flashver='[^']*' swf_url='[^']*' "
      "tc_url='([^']*)'");
  std::regex stream_command(
      " \\*([0-9]+) (publish|play): name='([^']*)' args='([^']*)'"
      "(?: type=([a-z]+))?");
  std::vector<ClientSession> sessions;
  std::string line;
  while (std::getline(log, line)) {
    std::smatch match;
    if (std::regex_search(line, match, connect)) {
      sessions.push_back({match[1], match[2], match[3], match[4], "", "", "", ""});
      continue;
    }
    if (!std::regex_search(line, match, stream_command)) continue;
    for (auto session = sessions.rbegin(); session != sessions.rend(); ++session) {
      if (session->connection != match[1]) continue;
      session->command = match[2];
      session->name = match[3];
      session->args = match[4];
      session->type = match[5];
      break;
    }
  }
  return sessions;
}

}  // namespace streamrelay::test_support
