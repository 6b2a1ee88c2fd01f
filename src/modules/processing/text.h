/* text.h - (being written). */
#ifndef PROCESSING_TEXT_H
#define PROCESSING_TEXT_H

#endif
