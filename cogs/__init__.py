"""Discord adapters: each cog reads typed options, makes one service call and renders the reply."""
