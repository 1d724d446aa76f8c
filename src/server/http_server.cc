// server/http_server
