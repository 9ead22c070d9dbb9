package retrieval
