"""Innovation-platform registry (科技创新平台): accreditation, yearly evaluation, level changes, revocation."""
