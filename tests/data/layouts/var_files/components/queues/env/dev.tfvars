name = "tt-practice-dev-orders-queue"
