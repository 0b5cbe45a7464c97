"""Query translation between English and Spanish: translation tables, bundled and learned."""
