// server/messages_endpoint
