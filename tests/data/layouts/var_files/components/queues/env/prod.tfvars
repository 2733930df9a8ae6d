name = "tt-practice-prod-orders-queue"
