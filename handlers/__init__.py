"""Channel adapters: each turns its platform's updates into IncomingMessage and renders Replies."""
