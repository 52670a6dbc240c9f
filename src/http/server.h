// HttpServer: a small asynchronous HTTP/1.1 server (Boost.Beast over
// Boost.Asio) on its own thread: what `serve` answers /metrics, /healthz and
// /readyz with now, and what the ingest and query API will be built on.
// Keep-alive, a read timeout, and a cap on request size; the handler runs on
// the server's thread, so it must only read what is safe to read from there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "model/result.h"

namespace eventlens::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string listen = "127.0.0.1:0";  // host:port; port 0 picks a free one
  std::size_t max_body_bytes = 1 << 20;
  int read_timeout_s = 30;
};

class HttpServer {
 public:
  // Binds, listens and starts serving on a thread of its own; an Error names
  // the address and why (in use, not an address of this machine).
  static Result<std::unique_ptr<HttpServer>> start(const ServerOptions& options, Handler handler);
  // Stops accepting, closes every connection, joins the thread.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port it listens on (the one picked, for port 0).
  std::uint16_t port() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlens::http
