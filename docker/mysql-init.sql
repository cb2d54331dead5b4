-- The four service databases on the one server (SPEC §1, §7), made when the MariaDB volume is
-- new. The names are DATABASE_PREFIX (careforall_) + the service name, as scripts/lib.sh makes
-- them outside containers.
CREATE DATABASE IF NOT EXISTS careforall_user CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS careforall_campaign CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS careforall_pledge CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS careforall_payment CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
