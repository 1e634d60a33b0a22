"""`python -m services.oversight`: run the oversight service until SIGTERM."""

from services.oversight.service import main
from shared.runtime import main_entry

if __name__ == "__main__":
    main_entry("oversight", main)
