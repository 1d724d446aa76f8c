// config/settings
