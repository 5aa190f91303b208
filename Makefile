# Entry points; the scripts do the work (and run without make too).
.PHONY: help bootstrap test demo broker-up broker-down broker-status

help:
	@echo "make bootstrap | test | demo | broker-up | broker-down | broker-status"

bootstrap:
	bash scripts/bootstrap.sh

test:
	bash scripts/test.sh $(ARGS)

demo:
	bash scripts/demo.sh

broker-up:
	bash scripts/bootstrap.sh
	bash deploy/local/kafka.sh up

broker-down:
	bash deploy/local/kafka.sh down

broker-status:
	bash deploy/local/kafka.sh status
