"""One deployment for a network of districts: a chat's district, its local FAQ, its entry links.

A config without `districts:` is one implicit district and nothing here changes what the bot does.
"""

from bot.districts.choice import DistrictChoice, district_buttons

__all__ = ["DistrictChoice", "district_buttons"]
