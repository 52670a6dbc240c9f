#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <optional>
#include <thread>
#include <utility>

namespace eventlens::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

// One connection: read a request, answer it, again while the client keeps it
// alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Handler& handler, const ServerOptions& options)
      : stream_(std::move(socket)), handler_(handler), options_(options) {}

  void run() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    stream_.expires_after(std::chrono::seconds(options_.read_timeout_s));
    beast::http::async_read(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == beast::http::error::end_of_stream) return close();
    if (ec == beast::http::error::body_limit) {
      return answer(413, {"text/plain; charset=utf-8", "request body larger than " +
                                                           std::to_string(options_.max_body_bytes) + " bytes\n"},
                    false);
    }
    if (ec) return close();
    auto& req = parser_->get();
    Request request{std::string(req.method_string()), std::string(req.target()), std::move(req.body())};
    Response r;
    try {
      r = handler_(request);
    } catch (const std::exception& e) {
      // The edge: a handler's exception is this request's 500, not the server's end.
      r = Response{500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what() + "\n"};
    }
    answer(r.status, {std::move(r.content_type), std::move(r.body)}, req.keep_alive());
  }

  void answer(int status, std::pair<std::string, std::string> content, bool keep_alive) {
    auto res = std::make_shared<beast::http::response<beast::http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(status));
    res->set(beast::http::field::server, "eventlens");
    res->set(beast::http::field::content_type, content.first);
    res->keep_alive(keep_alive);
    res->body() = std::move(content.second);
    res->prepare_payload();
    beast::http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  const Handler& handler_;
  const ServerOptions& options_;
};

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  Handler handler;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(socket), handler, options)->run();
      accept();
    });
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServerOptions& options, Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  const auto colon = options.listen.rfind(':');
  if (colon == std::string::npos) return make_error("listen", options.listen + ": give HOST:PORT");
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.listen.substr(0, colon), ec);
  if (ec) return make_error("listen", options.listen + ": not an IP address: " + ec.message());
  int port = -1;
  try {
    port = std::stoi(options.listen.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535) return make_error("listen", options.listen + ": the port is not 0-65535");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error("listen", options.listen + ": " + ec.message());
  impl->accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  asio::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace eventlens::http
