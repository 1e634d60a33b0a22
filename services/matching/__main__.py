"""`python -m services.matching`: run one matching instance until SIGTERM."""

from services.matching.service import main
from shared.runtime import main_entry

if __name__ == "__main__":
    main_entry("matching", main)
