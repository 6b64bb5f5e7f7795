"""Background work: the Redis connection, queues, the outbox, workers and periodic jobs."""
