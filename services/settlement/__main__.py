"""`python -m services.settlement`: run the settlement service until SIGTERM."""

from services.settlement.service import main
from shared.runtime import main_entry

if __name__ == "__main__":
    main_entry("settlement", main)
